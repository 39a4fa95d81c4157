/** Keeps the last few KB of the worker's stdout/stderr, so a failed start or crash can say why. */
export class OutputTail {
  readonly #limit: number
  #text = ''

  constructor(limit = 4000) {
    this.#limit = limit
  }

  push(chunk: string): void {
    this.#text += chunk
    if (this.#text.length > this.#limit * 2) this.#text = this.#text.slice(-this.#limit)
  }

  /** The tail, cut at a line start where possible so the first line shown is whole. */
  text(): string {
    if (this.#text.length <= this.#limit) return this.#text.trimEnd()
    const tail = this.#text.slice(-this.#limit)
    const newline = tail.indexOf('\n')
    return (newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail).trimEnd()
  }
}
