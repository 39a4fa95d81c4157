/** Thrown by `Slots.take` when the waiting line is full; the caller answers 503 with Retry-After. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`queue full (${waiting} waiting)`)
    this.name = 'QueueFullError'
  }
}

interface Waiter {
  reject(reason: unknown): void
  resolve(): void
}

/**
 * Generation slots of one model with a bounded FIFO line in front of them. A waiter whose client went away
 * (signal aborted) leaves the line at once, so a disconnected client never holds a place.
 */
export class Slots {
  #active = 0
  readonly #line: Waiter[] = []

  constructor(
    readonly capacity: number,
    readonly maxWaiting: number,
  ) {}

  get active(): number {
    return this.#active
  }

  get waiting(): number {
    return this.#line.length
  }

  get idle(): boolean {
    return this.#active === 0 && this.#line.length === 0
  }

  /** Resolves once a slot is held; the caller must `give()` it back exactly once. */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.#active < this.capacity && this.#line.length === 0) {
      this.#active += 1
      return
    }

    if (this.#line.length >= this.maxWaiting) throw new QueueFullError(this.#line.length)
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        reject,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        const index = this.#line.indexOf(waiter)
        if (index !== -1) this.#line.splice(index, 1)
        reject(signal?.reason)
      }

      signal?.addEventListener('abort', onAbort, {once: true})
      this.#line.push(waiter)
    })
  }

  give(): void {
    const next = this.#line.shift()
    // The slot passes straight to the next in line, so `active` never dips and a newcomer cannot jump the queue.
    if (next) next.resolve()
    else this.#active = Math.max(0, this.#active - 1)
  }

  /** Fails everyone still in line (shutdown). */
  rejectAll(reason: unknown): void {
    for (const waiter of this.#line.splice(0)) waiter.reject(reason)
  }
}
