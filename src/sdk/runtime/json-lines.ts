/**
 * Splits a stream of already-decoded text into lines. Socket chunks end anywhere, so the unfinished tail is kept
 * for the next chunk. Decoding must happen before this (socket.setEncoding('utf8')), which keeps a multi-byte
 * character split across chunks intact.
 */
export class LineSplitter {
  #rest = ''

  /** The complete lines in `chunk` (plus what was left over before), without their `\n`. */
  push(chunk: string): string[] {
    const text = this.#rest + chunk
    const lines = text.split('\n')
    this.#rest = lines.pop() ?? ''
    return lines
  }

  /** Text received after the last newline; non-empty only when the peer stopped mid-line. */
  get pending(): string {
    return this.#rest
  }
}

/** One JSON object per line; anything else (blank, invalid, not an object) is returned as undefined. */
export function parseJsonObjectLine(line: string): Record<string, unknown> | undefined {
  if (line.trim() === '') return undefined
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
