import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {type Logger, MlxkError, successEnvelope} from 'mlxk/sdk'

import {accessLogWriter} from './access-log-writer.js'
import {createApp} from './app.js'
import {InFlight} from './in-flight.js'
import {ServerMetrics} from './metrics.js'
import {ModelCatalog} from './models/catalog.js'
import {ModelManager} from './models/manager.js'
import {RequestValidator} from './openai/schemas.js'
import {isLoopback, type ServeOptions, urlFor} from './options.js'
import {onSignals, shutdown} from './shutdown.js'
import {SupervisedRuntime} from './supervised-runtime.js'

/** Start-up data: printed as one JSON line with `--json` (upstream's host/port/model/max_tokens, plus more). */
export interface ServerStarted {
  api_key_required: boolean
  host: string
  max_tokens: null | number
  model: null | string
  models: string[]
  pid: number
  port: number
  status: 'listening'
  url: string
}

/** Runs the server until a signal stops it. Throws (before listening) when a preload or the bind fails. */
export async function serve(options: ServeOptions, logger: Logger): Promise<void> {
  const note = (line: string) => process.stderr.write(`mlxk server: ${line}\n`)
  let stop: (() => void) | undefined
  const stopped = new Promise<void>((resolve) => (stop = resolve))
  let requested = false
  // Installed before the runtime exists: SupervisedRuntime keeps exactly the handlers present at construction.
  const removeSignals = onSignals(
    (signal) => {
      requested = true
      note(`${signal} received; finishing in-flight requests (up to ${options.gracePeriodMs / 1000}s, again to force)`)
      stop?.()
    },
    () => {
      note('second signal; exiting now')
      runtime.kill()
      process.exit(0)
    },
  )
  const runtime = new SupervisedRuntime({group: options.group, logger})
  const metrics = new ServerMetrics()
  const inflight = new InFlight()
  const manager = new ModelManager({
    keepAliveMs: options.keepAliveMs,
    logger,
    maxLoaded: options.maxLoaded,
    maxQueue: options.maxQueue,
    metrics,
    parallel: options.parallel,
    runtime,
  })
  const catalog = new ModelCatalog({
    root: options.root,
    workspaceHome: options.workspaceHome,
    workspaces: options.workspaces,
  })
  try {
    const preloaded: string[] = []
    const models = await Promise.all(options.models.map((spec) => catalog.resolve(spec)))
    if (options.group !== undefined) {
      note(`checking the ${options.group.hosts.length} ranks on ${options.group.hosts.map((h) => h.ssh).join(', ')}`)
      // Every model before any loads; the preloads below find them vetted and do not check again.
      for (const model of models) await runtime.vet(model.path)
    }
    for (const model of models) {
      if (requested) break
      note(`loading ${model.id}`)
      await manager.preload(model)
      preloaded.push(model.id)
    }

    if (requested) {
      await runtime.close()
      return
    }

    const app = createApp(
      {
        accessLog: accessLogWriter(options.logJson),
        catalog,
        config: {
          apiKey: options.apiKey,
          corsOrigins: options.corsOrigins,
          maxBodyBytes: options.maxBodyBytes,
          version: options.version,
        },
        defaults: {maxTokens: options.maxTokens, temperature: options.temperature, topP: options.topP},
        inflight,
        manager,
        metrics,
        runtime,
        validator: new RequestValidator(),
      },
      logger,
    )
    const server = createServer(app.callback())
    await listen(server, options.port, options.host).catch((error: unknown) => {
      throw bindError(error, options)
    })
    const port = (server.address() as AddressInfo).port
    const url = urlFor(options.host, port)
    if (!isLoopback(options.host) && !options.apiKey) {
      note(
        `warning: listening on ${options.host} without an API key; anyone who can reach this port can use it (set --api-key or MLXK_API_KEY)`,
      )
    }

    note(`listening on ${url}`)
    if (options.json) {
      const started: ServerStarted = {
        api_key_required: options.apiKey !== undefined,
        host: options.host,
        max_tokens: options.maxTokens ?? null,
        model: preloaded[0] ?? null,
        models: preloaded,
        pid: process.pid,
        port,
        status: 'listening',
        url,
      }
      // One compact line, not the pretty envelope: the server keeps running, and tools read it line by line.
      process.stdout.write(JSON.stringify(successEnvelope('server', started)) + '\n')
    }

    await stopped
    await shutdown({gracePeriodMs: options.gracePeriodMs, inflight, manager, note, runtime, server})
    note('stopped')
  } catch (error) {
    await runtime.close()
    throw error
  } finally {
    removeSignals()
  }
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function bindError(error: unknown, options: ServeOptions): unknown {
  const code = (error as NodeJS.ErrnoException).code
  const where = urlFor(options.host, options.port)
  if (code === 'EADDRINUSE') {
    return new MlxkError('address_in_use', `Cannot listen on ${where}: the port is in use`, {
      hint: 'Stop the other server or pick another port with --port (0 picks a free one)',
    })
  }

  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new MlxkError('bind_failed', `Cannot listen on ${where} (${code})`, {
      hint: 'Use a port above 1023 and an address of this machine',
    })
  }

  return error
}
