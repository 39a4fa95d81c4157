import {createInterface, type Interface} from 'node:readline'

import {isMlxkError} from 'mlxk/sdk'
import {GenerationReader, GenerationText, type SamplingParams} from 'mlxk/sdk/runtime'

import {AnswerWriter, type DisplayOptions} from '../answer-writer.js'
import type {ModelSession} from '../model-session.js'
import {formatGenerationLine} from '../stats.js'
import {Conversation} from './conversation.js'
import {MultilineInput} from './multiline.js'
import {runSlashCommand} from './slash-commands.js'

export interface ChatOptions {
  display: DisplayOptions
  /** Standard streams; injectable so the loop can be driven without a real terminal. */
  io?: {error: NodeJS.WritableStream; input: NodeJS.ReadableStream; output: NodeJS.WritableStream}
  modelName: string
  sampling: SamplingParams
  session: ModelSession
  stream: boolean
  system: string | undefined
  verbose: boolean
}

export interface ChatSummary {
  turns: number
}

const PROMPT = '>>> '
const CONTINUATION = '... '
const EXIT_WORDS = /^(exit|quit|\/exit|\/quit|\/bye)$/i
/** Errors after which the chat cannot go on: the worker is gone. */
const FATAL = new Set(['runtime_closed', 'worker_exited'])

/**
 * The interactive chat. stdin stays in raw mode under readline for the whole session, so Ctrl-C never becomes
 * a process SIGINT (which would shut the worker down): readline reports it as an event, and we decide. During
 * an answer it cancels the generation; at a prompt with text it clears the line; at an empty prompt the first
 * press arms and the second leaves.
 */
export async function runChat(options: ChatOptions): Promise<ChatSummary> {
  const io = options.io ?? {error: process.stderr, input: process.stdin, output: process.stdout}
  const rl = createInterface({historySize: 200, input: io.input, output: io.output, terminal: true})
  const conversation = new Conversation(options.system)
  const multiline = new MultilineInput()
  let generation: AbortController | undefined
  let exitArmed = false
  let turns = 0

  const prompt = () => {
    rl.setPrompt(multiline.open ? CONTINUATION : PROMPT)
    rl.prompt()
  }

  rl.on('SIGINT', () => {
    if (generation) {
      generation.abort()
      return
    }

    if (rl.line !== '' || multiline.open) {
      multiline.discard()
      clearLine(rl)
      io.output.write('^C\n')
      exitArmed = false
      prompt()
      return
    }

    if (exitArmed) {
      io.output.write('\n')
      rl.close()
      return
    }

    exitArmed = true
    io.output.write('^C\n(Press Ctrl-C again, Ctrl-D or type exit to leave.)\n')
    prompt()
  })
  // A SIGINT sent from outside (kill -INT) cannot be a keypress in raw mode: end the session like Ctrl-D.
  const onProcessSignal = () => rl.close()
  process.on('SIGINT', onProcessSignal)

  io.output.write(
    `Chatting with ${options.modelName}. Type /help for commands, """ for multi-line input, exit or Ctrl-D to leave.\n`,
  )
  try {
    prompt()
    for await (const line of rl) {
      exitArmed = false
      const entry = multiline.feed(line)
      if (entry.kind === 'more') {
        prompt()
        continue
      }

      const text = entry.text.trim()
      if (!entry.block && EXIT_WORDS.test(text)) break
      if (text !== '') {
        if (!entry.block && text.startsWith('/')) {
          io.output.write(await runSlashCommand(text, {conversation, modelName: options.modelName}))
        } else {
          const controller = new AbortController()
          generation = controller
          try {
            if (await answer(text, controller.signal)) turns += 1
          } finally {
            generation = undefined
          }
        }
      }

      prompt()
    }
  } finally {
    process.off('SIGINT', onProcessSignal)
    rl.close()
  }

  return {turns}

  /** One question; true when its answer joined the history. */
  async function answer(question: string, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      let buffered = ''
      const write = options.stream ? (text: string) => void io.output.write(text) : (text: string) => (buffered += text)
      const writer = new AnswerWriter(write, options.display)
      const text = new GenerationText()
      let reader: GenerationReader
      try {
        reader = await GenerationReader.open(
          options.session.client.generate(
            {...options.sampling, messages: conversation.messagesWith(question), model_id: options.session.modelId},
            {signal},
          ),
        )
        const {start} = reader
        // A nearly full context would cut the answer short: make room first, before anything was shown.
        if (conversation.turns.length > 0 && start.max_tokens < answerReserve(start.context_length, options.sampling)) {
          await reader.close()
          dropOldest()
          continue
        }

        for await (const piece of reader) {
          text.add(piece)
          writer.push(piece.channel, piece.text)
        }
      } catch (error) {
        if (!isMlxkError(error) || FATAL.has(error.type)) throw error
        if (error.type === 'context_length_exceeded') {
          if (dropOldest()) continue
          io.error.write(
            `[mlxk] This message does not fit in the model's context (${String(error.details.context_length ?? '?')} tokens); it was not sent.\n`,
          )
          return false
        }

        writer.finish()
        io.output.write(buffered)
        io.error.write(`[mlxk] Error: ${error.message}\n`)
        return false
      }

      writer.finish()
      io.output.write(buffered)
      const {done, start} = reader
      if (options.verbose) io.error.write(formatGenerationLine(start, done) + '\n')
      if (done.finish_reason === 'cancelled') {
        io.error.write('[interrupted: this answer is not kept in the history]\n')
        return false
      }

      if (writer.onlyHiddenReasoning)
        io.error.write(
          '[mlxk] The model only produced reasoning, which is hidden; start the chat with --show-reasoning to see it.\n',
        )
      conversation.record({assistant: text.content.trim(), user: question})
      return true
    }
  }

  function dropOldest(): boolean {
    if (!conversation.dropOldest()) return false
    io.error.write('[mlxk] Context full: dropped the oldest turn of the conversation to make room.\n')
    return true
  }
}

/** Room an answer should have before older turns are dropped: a quarter of the context, or --max-tokens if smaller. */
function answerReserve(contextLength: number, sampling: SamplingParams): number {
  const quarter = Math.max(16, Math.floor(contextLength / 4))
  return typeof sampling.max_tokens === 'number' ? Math.min(sampling.max_tokens, quarter) : quarter
}

/** Empties readline's current line (Ctrl-E then Ctrl-U, as if typed). */
function clearLine(rl: Interface): void {
  rl.write(null, {ctrl: true, name: 'e'})
  rl.write(null, {ctrl: true, name: 'u'})
}
