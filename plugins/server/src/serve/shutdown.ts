import type {Server} from 'node:http'

import type {InFlight} from './in-flight.js'
import type {ModelManager} from './models/manager.js'
import type {RuntimePort} from './runtime-port.js'

export interface ShutdownParts {
  gracePeriodMs: number
  inflight: InFlight
  manager: ModelManager
  note: (line: string) => void
  runtime: RuntimePort
  server: Server
}

/** After the grace period, aborted handlers get this long to write their 503 / SSE error before sockets close. */
const ABORT_FLUSH_MS = 2000

/**
 * Graceful stop: refuse new work, let running generations finish within the grace period, cancel what is left
 * (each client gets a 503 or an SSE error event), close connections, stop the runtime. Resolves when done.
 */
export async function shutdown(parts: ShutdownParts): Promise<void> {
  const {inflight, manager, runtime, server} = parts
  inflight.draining = true
  manager.close()
  // Stops accepting; idle keep-alive sockets close now, busy ones once their response ends.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  if (!(await inflight.settle(parts.gracePeriodMs))) {
    parts.note(`grace period over; cancelling ${inflight.count} request(s)`)
    inflight.abortAll()
    await inflight.settle(ABORT_FLUSH_MS)
  }

  server.closeAllConnections()
  await closed
  await runtime.close()
}

/**
 * SIGINT/SIGTERM: the first starts `stop()`, a second exits at once (killing the worker so nothing is orphaned).
 * Both end with exit 0, as upstream's server did. Returns a function that removes the handlers.
 */
export function onSignals(stop: (signal: NodeJS.Signals) => void, force: () => void): () => void {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      force()
      return
    }

    stopping = true
    stop(signal)
  }

  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
