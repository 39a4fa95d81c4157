const FENCE = '"""'

/** `block` tells a fenced message apart, so its text is never taken for `exit` or a slash command. */
export type LineResult = {block: boolean; kind: 'message'; text: string} | {kind: 'more'}

/**
 * Multi-line input the way `ollama run` takes it: a line starting with `"""` opens a block, a line ending with
 * `"""` closes it, and the lines in between (fences removed) are one message. `"""one line"""` is one message.
 */
export class MultilineInput {
  #lines: null | string[] = null

  /** True while inside a block (the prompt shows a continuation marker). */
  get open(): boolean {
    return this.#lines !== null
  }

  /** Forgets a half-typed block (Ctrl-C inside it). */
  discard(): void {
    this.#lines = null
  }

  feed(line: string): LineResult {
    if (this.#lines === null) {
      const start = line.trimStart()
      if (!start.startsWith(FENCE)) return {block: false, kind: 'message', text: line}
      const rest = start.slice(FENCE.length)
      if (rest.trimEnd().endsWith(FENCE))
        return {block: true, kind: 'message', text: rest.trimEnd().slice(0, -FENCE.length)}
      this.#lines = rest === '' ? [] : [rest]
      return {kind: 'more'}
    }

    const end = line.trimEnd()
    if (!end.endsWith(FENCE)) {
      this.#lines.push(line)
      return {kind: 'more'}
    }

    const last = end.slice(0, -FENCE.length)
    const lines = last === '' ? this.#lines : [...this.#lines, last]
    this.#lines = null
    return {block: true, kind: 'message', text: lines.join('\n')}
  }
}
