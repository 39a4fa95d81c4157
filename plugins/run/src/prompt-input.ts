import {fstatSync} from 'node:fs'

import {type MlxkError, usageError} from 'mlxk/sdk'

export type PromptInput = {kind: 'chat'} | {fromStdin: boolean; kind: 'one-shot'; prompt: string}

export interface PromptInputOptions {
  /** The words after the model; `-` first means "read stdin", the rest is the instruction. */
  words: string[]
  json: boolean
  /** Injectable for tests; default process.stdin. */
  stdin?: NodeJS.ReadStream
}

/**
 * Where the prompt comes from:
 * - `-` reads stdin to EOF (even from a terminal, like `cat -`); words after it are the instruction;
 * - prompt words plus a piped stdin: stdin is the material, the words the instruction (`cat a | mlxk run m "sum up"`);
 * - no words: piped stdin is the prompt; a terminal starts the chat (refused with --json before anything loads).
 * The material comes first and the instruction last, the order instruction-tuned models answer best.
 */
export async function readPromptInput(options: PromptInputOptions): Promise<PromptInput> {
  const stdin = options.stdin ?? process.stdin
  const [first, ...rest] = options.words
  if (first === '-') {
    return oneShot(await readAll(stdin), rest.join(' '), true)
  }

  const words = options.words.join(' ')
  if (words !== '') {
    const material = stdinIsPiped(stdin) ? await readAll(stdin) : ''
    return oneShot(material, words, material !== '')
  }

  if (stdin.isTTY) {
    if (options.json) {
      throw usageError('Interactive chat cannot produce JSON: give a prompt (or pipe one on stdin) with --json', {
        hint: 'mlxk run <model> "your prompt" --json',
      })
    }

    return {kind: 'chat'}
  }

  return oneShot(await readAll(stdin), '', true)
}

function oneShot(material: string, instruction: string, fromStdin: boolean): PromptInput {
  const parts = [material.trimEnd(), instruction.trim()].filter((part) => part !== '')
  if (parts.length === 0) throw noPrompt()
  return {fromStdin, kind: 'one-shot', prompt: parts.join('\n\n')}
}

function noPrompt(): MlxkError {
  return usageError('No prompt: the argument is missing and stdin is empty', {
    hint: 'mlxk run <model> "your prompt", or pipe text in: cat notes.txt | mlxk run <model> - "summarise"',
  })
}

/**
 * Only a pipe, file or socket is read when a prompt was also given: a terminal would wait for Ctrl-D and
 * /dev/null (a character device) holds nothing, so neither must hold the command up.
 */
function stdinIsPiped(stdin: NodeJS.ReadStream): boolean {
  if (stdin.isTTY) return false
  try {
    const {fd} = stdin as {fd?: unknown}
    const info = fstatSync(typeof fd === 'number' ? fd : 0)
    return info.isFIFO() || info.isFile() || info.isSocket()
  } catch {
    return false
  }
}

async function readAll(stdin: NodeJS.ReadStream): Promise<string> {
  stdin.setEncoding('utf8')
  let text = ''
  for await (const chunk of stdin) text += chunk as string
  return text
}
