import type {Logger} from 'mlxk/sdk'
import type {GroupSpec, LoadedEvent, RuntimeClient} from 'mlxk/sdk/runtime'
import type {RunTarget} from 'mlxk/sdk/services'

export interface ModelSession {
  client: RuntimeClient
  loaded: LoadedEvent
  /** The handle generate requests use. */
  modelId: string
}

/**
 * Starts the Python worker and loads the model. The runtime module is imported here, not at the top of the
 * command, so `mlxk run --help` and every preflight error stay free of its cost. The caller owns `close()`.
 */
export async function openModelSession(
  target: RunTarget,
  logger: Logger,
  group?: GroupSpec | undefined,
): Promise<ModelSession> {
  const {RuntimeClient} = await import('mlxk/sdk/runtime')
  const client = await RuntimeClient.start(group === undefined ? {logger} : {group, logger})
  try {
    const kind = target.inspection.modelType === 'embedding' ? 'embedding' : 'generation'
    const loaded = await client.load({kind, modelId: target.name, modelPath: target.path})
    return {client, loaded, modelId: loaded.model_id}
  } catch (error) {
    await client.close()
    throw error
  }
}
