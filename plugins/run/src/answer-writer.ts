import type {TokenChannel} from 'mlxk/sdk/runtime'

export interface DisplayOptions {
  /** Dim the reasoning block with ANSI codes (a colour-capable terminal only). */
  color: boolean
  /** Show the model's reasoning as a `<think>` block before the answer; hidden text is still returned in JSON. */
  showReasoning: boolean
}

const DIM = '\u001B[2m'
const UNDIM = '\u001B[22m'

/**
 * Turns a generation's token stream into what a person reads. Each section (reasoning, answer) is trimmed the
 * way `String.prototype.trim` would trim it once complete: leading whitespace is dropped and trailing
 * whitespace is held back until more text follows. `--no-stream` feeds the same writer and prints its buffer,
 * so streamed and batch output are identical by construction, not by two implementations agreeing.
 */
export class AnswerWriter {
  #answerStarted = false
  #pendingAnswerSpace = ''
  #pendingReasoningSpace = ''
  #reasoningOpen = false
  #reasoningSeen = false
  readonly #options: DisplayOptions
  readonly #write: (text: string) => void

  constructor(write: (text: string) => void, options: DisplayOptions) {
    this.#write = write
    this.#options = options
  }

  /** True when the model produced reasoning but nothing else, and the reasoning was hidden. */
  get onlyHiddenReasoning(): boolean {
    return this.#reasoningSeen && !this.#answerStarted && !this.#options.showReasoning
  }

  /** Ends the answer: closes an unterminated reasoning block and adds the final newline (only if anything was written). */
  finish(): void {
    if (this.#reasoningOpen) {
      this.#emit('\n' + this.#closeMarker() + '\n')
      this.#reasoningOpen = false
    } else if (this.#answerStarted) {
      this.#emit('\n')
    }
  }

  push(channel: TokenChannel, text: string): void {
    if (channel === 'reasoning') this.#pushReasoning(text)
    else this.#pushAnswer(text)
  }

  #closeMarker(): string {
    return this.#options.color ? `</think>${UNDIM}` : '</think>'
  }

  #emit(text: string): void {
    if (text !== '') this.#write(text)
  }

  #pushAnswer(text: string): void {
    const {held, out, started} = trimmedPiece(text, this.#answerStarted, this.#pendingAnswerSpace)
    this.#pendingAnswerSpace = held
    if (out === '') return
    if (this.#reasoningOpen) {
      this.#emit('\n' + this.#closeMarker() + '\n\n')
      this.#reasoningOpen = false
    }

    this.#answerStarted = started
    this.#emit(out)
  }

  #pushReasoning(text: string): void {
    if (/\S/.test(text)) this.#reasoningSeen = true
    // Reasoning that arrives after the answer began has no place in the display; JSON still carries it.
    if (!this.#options.showReasoning || this.#answerStarted) return
    const {held, out} = trimmedPiece(text, this.#reasoningOpen, this.#pendingReasoningSpace)
    this.#pendingReasoningSpace = held
    if (out === '') return
    if (!this.#reasoningOpen) {
      this.#emit((this.#options.color ? DIM : '') + '<think>\n')
      this.#reasoningOpen = true
    }

    this.#emit(out)
  }
}

/**
 * One piece of a trimmed section: without a start yet, leading whitespace is dropped; trailing whitespace is
 * held (it is released in front of the next non-whitespace text, or dropped at the end).
 */
function trimmedPiece(text: string, started: boolean, pending: string): {held: string; out: string; started: boolean} {
  const all = started ? pending + text : text.replace(/^\s+/, '')
  if (all === '') return {held: '', out: '', started}
  const trailing = /\s*$/.exec(all)?.[0] ?? ''
  return {
    held: trailing,
    out: all.slice(0, all.length - trailing.length),
    started: started || all.length > trailing.length,
  }
}
