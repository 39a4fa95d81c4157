import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {type Logger, MlxkError} from 'mlxk/sdk'

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
  const runtime = new SupervisedRuntime({group: options.group, logger, promptCacheBytes: options.promptCacheBytes})
  const metrics = new ServerMetrics()
  const inflight = new InFlight()
  const manager = new ModelManager({...options.limits, logger, metrics, runtime})
  const catalog = new ModelCatalog(options.catalog)
  try {
    const preloaded: string[] = []
    const models = await Promise.all(options.preload.map((spec) => catalog.resolve(spec)))
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
        config: options.app,
        defaults: options.defaults,
        inflight,
        manager,
        metrics,
        runtime,
        validator: new RequestValidator(),
      },
      logger,
    )
    const server = createServer(app.callback())
    const {host} = options.listen
    await listen(server, options.listen).catch((error: unknown) => {
      throw bindError(error, options.listen)
    })
    const port = (server.address() as AddressInfo).port
    const url = urlFor(host, port)
    if (!isLoopback(host) && !options.app.apiKey) {
      note(
        `warning: listening on ${host} without an API key; anyone who can reach this port can use it (set --api-key or MLXK_API_KEY)`,
      )
    }

    note(`listening on ${url}`)
    options.announce({
      api_key_required: options.app.apiKey !== undefined,
      host,
      max_tokens: options.defaults.maxTokens ?? null,
      model: preloaded[0] ?? null,
      models: preloaded,
      pid: process.pid,
      port,
      status: 'listening',
      url,
    })

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

function listen(server: ReturnType<typeof createServer>, {host, port}: ServeOptions['listen']): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function bindError(error: unknown, {host, port}: ServeOptions['listen']): unknown {
  const code = (error as NodeJS.ErrnoException).code
  const where = urlFor(host, port)
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
