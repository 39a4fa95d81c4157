import type {ChatMessage} from 'mlxk/sdk/runtime'

export interface Turn {
  assistant: string
  user: string
}

/**
 * The chat history: an optional system prompt and complete turns. A question is held apart until its answer
 * arrives, so an interrupted or failed turn leaves the history as it was.
 */
export class Conversation {
  system: string | undefined
  readonly #turns: Turn[] = []

  constructor(system?: string) {
    this.system = system
  }

  get turns(): readonly Turn[] {
    return this.#turns
  }

  clear(): void {
    this.#turns.length = 0
  }

  /** Drops the oldest turn to make room in the context; false when there is none left to drop. */
  dropOldest(): boolean {
    return this.#turns.shift() !== undefined
  }

  /** The request messages for a new question on top of the history. */
  messagesWith(question: string): ChatMessage[] {
    return [...this.messages(), {content: question, role: 'user'}]
  }

  /** The history as chat messages (system first). */
  messages(): ChatMessage[] {
    const messages: ChatMessage[] = []
    if (this.system) messages.push({content: this.system, role: 'system'})
    for (const turn of this.#turns) {
      messages.push({content: turn.user, role: 'user'}, {content: turn.assistant, role: 'assistant'})
    }

    return messages
  }

  record(turn: Turn): void {
    this.#turns.push(turn)
  }
}
