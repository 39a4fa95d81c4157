/** Abort reasons, so a handler can tell a client that left from a server that is stopping. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection')
    this.name = 'ClientGoneError'
  }
}

export class ShutdownAbortError extends Error {
  constructor() {
    super('the server is shutting down')
    this.name = 'ShutdownAbortError'
  }
}

/**
 * Requests doing model work right now. Shutdown waits for them during the grace period, then aborts them
 * (each handler ends its response itself, with a 503 or an SSE error event).
 */
export class InFlight {
  /** Set on the first signal: new model work is refused with 503. */
  draining = false
  readonly #controllers = new Set<AbortController>()
  #onEmpty: (() => void)[] = []

  get count(): number {
    return this.#controllers.size
  }

  /** A controller that aborts when the client leaves or shutdown gives up waiting; call `done()` when finished. */
  begin(): {controller: AbortController; done: () => void} {
    const controller = new AbortController()
    this.#controllers.add(controller)
    return {
      controller,
      done: () => {
        this.#controllers.delete(controller)
        if (this.#controllers.size === 0) for (const wake of this.#onEmpty.splice(0)) wake()
      },
    }
  }

  abortAll(): void {
    for (const controller of this.#controllers) controller.abort(new ShutdownAbortError())
  }

  /** Resolves true once nothing is in flight, or false after `ms`. */
  async settle(ms: number): Promise<boolean> {
    if (this.#controllers.size === 0) return true
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms)
      this.#onEmpty.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}
