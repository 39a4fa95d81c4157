import {spawn} from 'node:child_process'
import {join} from 'node:path'

import type {Envelope} from '../../src/sdk/envelope.js'

export const ROOT = new URL('../..', import.meta.url).pathname
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  exitCode: null | number
  /** The parsed envelope when stdout holds one JSON object. */
  json: Envelope<Record<string, unknown>> | undefined
  stderr: string
  stdout: string
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  /** HF_HUB_CACHE for this run: the cache the command sees. */
  hubCache?: string
  input?: string
  timeoutMs?: number
}

/** Runs the built CLI as a subprocess, as a user would, with the sandboxed environment from init.ts. */
export async function runMlxk(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = {...process.env, ...options.env}
  if (options.hubCache) env.HF_HUB_CACHE = options.hubCache
  const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  child.stdin.end(options.input ?? '')
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const exitCode = await new Promise<null | number>((resolve) => child.on('close', (code) => resolve(code)))
  clearTimeout(timer)
  return {exitCode, json: parseEnvelope(stdout), stderr, stdout}
}

function parseEnvelope(stdout: string): Envelope<Record<string, unknown>> | undefined {
  try {
    const value: unknown = JSON.parse(stdout)
    return value && typeof value === 'object' && 'status' in value
      ? (value as Envelope<Record<string, unknown>>)
      : undefined
  } catch {
    return undefined
  }
}
