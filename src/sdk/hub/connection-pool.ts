/** A counting semaphore: at most `size` HTTP transfers at once, across all files of a pull. */
export class ConnectionPool {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly size: number) {}

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
