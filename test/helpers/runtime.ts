import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {locateRuntime, packageRoot} from '../../src/sdk/runtime/index.js'

/**
 * The runtime's interpreter, or a thrown runtime_missing with the setup hint: a test that needs the worker must
 * fail loudly on a machine without the venv, never skip.
 */
export function runtimePython(): string {
  return locateRuntime().python
}

export interface ModelCase {
  content?: string
  ends_with_token: string
  messages: {content: string; role: string}[]
  reasoning?: string
  text: string
}

export interface ModelExpectation {
  cases: ModelCase[]
  context_length: number
  eos_token_ids: number[]
  is_reasoning: boolean
  model_type: string
  stop_case?: {messages: {content: string; role: string}[]; stop: string[]; text: string}
}

const modelsDir = join(packageRoot(), 'test', 'fixtures', 'models')

/** A committed tiny test model's directory; fails (not skips) when it has not been built. */
export function testModelPath(name: string): string {
  const dir = join(modelsDir, name)
  if (!existsSync(join(dir, 'config.json')))
    throw new Error(`Test model ${name} is missing; build it (see ${modelsDir})`)
  return dir
}

/** What the model was trained to answer, from test/fixtures/models/expected.json. */
export function testModelExpectation(name: string): ModelExpectation {
  const all = JSON.parse(readFileSync(join(modelsDir, 'expected.json'), 'utf8')) as Record<string, ModelExpectation>
  const expectation = all[name]
  if (expectation === undefined) throw new Error(`No expectations for test model ${name}`)
  return expectation
}

/** A zombie (exited, not yet reaped by a non-reaping pid 1) counts as gone: it holds no memory or files. */
export function processExists(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], {encoding: 'utf8'}).trim()
    return state !== '' && !state.startsWith('Z')
  } catch {
    return false
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await delay(intervalMs)
  }

  return condition()
}
