/**
 * A one-consumer queue bridging push-style socket events to a pull-style async iterator. Events that arrive
 * while nobody awaits are buffered; a failure is delivered after the events queued before it.
 */
export class AsyncQueue<T> {
  #closed = false
  #error: unknown
  #failed = false
  readonly #items: T[] = []
  #waiter: ((result: IteratorResult<T>) => void) | undefined
  #waiterReject: ((error: unknown) => void) | undefined

  /** Ends the stream normally once the buffered items are consumed. */
  end(): void {
    if (this.#closed) return
    this.#closed = true
    this.#wake()
  }

  fail(error: unknown): void {
    if (this.#closed) return
    this.#closed = true
    this.#failed = true
    this.#error = error
    this.#wake()
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift()
    if (item !== undefined) return Promise.resolve({done: false, value: item})
    if (this.#closed)
      return this.#failed ? Promise.reject(this.#error) : Promise.resolve({done: true, value: undefined})
    return new Promise((resolve, reject) => {
      this.#waiter = resolve
      this.#waiterReject = reject
    })
  }

  push(item: T): void {
    if (this.#closed) return
    this.#items.push(item)
    this.#wake()
  }

  #wake(): void {
    const resolve = this.#waiter
    const reject = this.#waiterReject
    if (resolve === undefined || reject === undefined) return
    this.#waiter = undefined
    this.#waiterReject = undefined
    this.next().then(resolve, reject)
  }
}
