import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {BIN, ROOT} from './run-cli.js'

const DRIVER = join(ROOT, 'test', 'helpers', 'run-pty.py')

/** CSI/OSC escape sequences and carriage returns: what readline paints, not what the user reads. */
const ESCAPES = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007]*\u0007|\r/g

export interface PtyOptions {
  cwd?: string
  env?: Record<string, string | undefined>
}

/**
 * The built CLI in a pseudo-terminal (through run-pty.py). `expect` waits for text after a cursor that moves
 * past each match, so a test reads the conversation in order and never matches an earlier answer twice.
 */
export class PtySession {
  #cursor = 0
  #exit: Promise<null | number>
  #raw = ''
  readonly #child: ChildProcessWithoutNullStreams

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.#raw += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.#raw += chunk))
    this.#exit = new Promise((resolve) => child.on('close', (code) => resolve(code)))
  }

  /** Everything shown so far, escape sequences and carriage returns removed. */
  get text(): string {
    return this.#raw.replaceAll(ESCAPES, '')
  }

  static start(args: string[], options: PtyOptions = {}): PtySession {
    const child = spawn('python3', [DRIVER, '200', '50', '--', process.execPath, BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: {...process.env, ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return new PtySession(child)
  }

  /** Waits until the process exits; kills it (and fails) after the timeout. */
  async exitCode(timeoutMs = 15_000): Promise<null | number> {
    const timer = delay(timeoutMs).then(() => 'timeout' as const)
    const result = await Promise.race([this.#exit, timer])
    if (result === 'timeout') {
      this.kill()
      throw new Error(`process did not exit within ${timeoutMs} ms; screen:\n${this.text}`)
    }

    return result
  }

  /** Waits for `pattern` in the text after the cursor; returns the text up to the end of the match. */
  async expect(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const text = this.text
      const rest = text.slice(this.#cursor)
      const match = typeof pattern === 'string' ? indexOfString(rest, pattern) : indexOfRegExp(rest, pattern)
      if (match) {
        const seen = rest.slice(0, match.end)
        this.#cursor += match.end
        return seen
      }

      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; after the cursor:\n${rest}`)
      await delay(20)
    }
  }

  kill(): void {
    this.#child.kill('SIGKILL')
  }

  /** Types text into the terminal (`\r` is Enter, `\x03` Ctrl-C, `\x04` Ctrl-D). */
  send(text: string): void {
    this.#child.stdin.write(text)
  }

  /** Types a line and presses Enter. */
  sendLine(line: string): void {
    this.send(line + '\r')
  }
}

function indexOfString(text: string, needle: string): null | {end: number} {
  const at = text.indexOf(needle)
  return at === -1 ? null : {end: at + needle.length}
}

function indexOfRegExp(text: string, pattern: RegExp): null | {end: number} {
  const match = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(text)
  return match ? {end: match.index + match[0].length} : null
}
