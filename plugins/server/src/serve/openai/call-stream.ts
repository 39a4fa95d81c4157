import type {GenerationPiece} from 'mlxk/sdk/runtime'

/**
 * The order in which a streamed answer that may call tools goes out. Beside calls, blank content (the newlines a
 * template writes around them) is no answer, as the non-streamed message says with `content: null`: blank content
 * waits until text follows (then it goes out first) or the answer ends (then it goes out only when no call came).
 */
export class CallStream {
  calls = 0
  #held: GenerationPiece[] = []
  #spoken = false
  readonly #holdBlank: boolean

  /** `holdBlank`: the request offered tools. */
  constructor(holdBlank: boolean) {
    this.#holdBlank = holdBlank
  }

  end(): GenerationPiece[] {
    return this.calls > 0 ? [] : this.#held.splice(0)
  }

  push(piece: GenerationPiece): GenerationPiece[] {
    if (piece.toolCall) {
      this.calls++
      return [piece]
    }

    if (!this.#holdBlank || this.#spoken || piece.channel !== 'content') return [piece]
    if (piece.text.trim() === '') {
      this.#held.push(piece)
      return []
    }

    this.#spoken = true
    return [...this.#held.splice(0), piece]
  }
}
