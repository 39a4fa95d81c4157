import {constants} from 'node:os'

/** Something that shuts its worker down; `close` must never throw. */
export interface SignalClosable {
  close(options?: {graceMs?: number}): Promise<void>
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const
type HandledSignal = (typeof SIGNALS)[number]

/** A worker gets this long to exit on `shutdown` before it is killed, so Ctrl-C never feels stuck. */
const SIGNAL_GRACE_MS = 2000

const open = new Set<SignalClosable>()
const listeners = new Map<HandledSignal, () => void>()

/**
 * Keeps `closable` registered for SIGINT/SIGTERM cleanup until the returned function is called. Handlers exist
 * only while something is registered, so a CLI without open workers keeps Node's default signal behaviour.
 */
export function closeOnSignal(closable: SignalClosable): () => void {
  open.add(closable)
  if (listeners.size === 0) install()
  return () => {
    open.delete(closable)
    if (open.size === 0) uninstall()
  }
}

function install(): void {
  for (const signal of SIGNALS) {
    const listener = () => void onSignal(signal)
    listeners.set(signal, listener)
    process.on(signal, listener)
  }
}

function uninstall(): void {
  for (const [signal, listener] of listeners) process.off(signal, listener)
  listeners.clear()
}

async function onSignal(signal: HandledSignal): Promise<void> {
  // Removed first: a second Ctrl-C during cleanup then kills us at once, and the socket EOF ends the workers.
  uninstall()
  const closing = [...open]
  open.clear()
  await Promise.allSettled(closing.map((closable) => closable.close({graceMs: SIGNAL_GRACE_MS})))
  if (process.listenerCount(signal) === 0) {
    // Re-raised with the default action, so the shell sees a death by signal (130/143), not a clean exit.
    process.kill(process.pid, signal)
  } else {
    // Someone else handles this signal and decides when to exit; make sure a drained loop still reports it.
    process.exitCode ??= 128 + constants.signals[signal]
  }
}
