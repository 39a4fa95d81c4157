import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {setTimeout as delay} from 'node:timers/promises'

import {importFolder} from '../../src/sdk/cache/import-folder.js'
import {tempCacheRoot} from './fixture-cache.js'
import {BIN, ROOT} from './run-cli.js'
import {processExists, testModelPath, waitUntil} from './runtime.js'

/** The committed tiny models, imported into a cache under `mlxk-test/<name>`. */
export const SERVER_TEST_MODELS = ['tiny-qwen2-bpe', 'tiny-qwen2-think', 'tiny-llama-spm'] as const

export const testModelId = (name: string): string => `mlxk-test/${name}`

export async function buildServerCache(names: readonly string[] = SERVER_TEST_MODELS): Promise<string> {
  const root = tempCacheRoot()
  for (const name of names) await importFolder({folder: testModelPath(name), repoId: testModelId(name), root})
  return root
}

export interface RunningServer {
  child: ChildProcess
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<null | number>
  pid: number
  stderr(): string
  stdout(): string
  /** Sends a signal (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<null | number>
  url: string
}

export interface StartServerOptions {
  args?: string[]
  /** `server` or its alias `serve`. */
  command?: 'serve' | 'server'
  env?: Record<string, string | undefined>
  hubCache: string
  timeoutMs?: number
}

/**
 * Starts the built CLI's `mlxk server --port 0 --json` as a subprocess, as a user would, and reads the actual URL
 * from its one-line JSON start-up envelope.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HF_HUB_CACHE: options.hubCache,
    MLXK_ALPHA: 'server',
    ...options.env,
  }
  const child = spawn(
    process.execPath,
    [BIN, options.command ?? 'server', '--port', '0', '--json', ...(options.args ?? [])],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const exited = new Promise<null | number>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start within ${options.timeoutMs ?? 60_000} ms\n${stderr}`))
    }, options.timeoutMs ?? 60_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const line = stdout.split('\n').find((l) => l.startsWith('{') && l.includes('"listening"'))
      if (line) {
        clearTimeout(timer)
        resolve((JSON.parse(line) as {data: {url: string}}).data.url)
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}) before listening\nstdout: ${stdout}\nstderr: ${stderr}`))
    })
  })
  return {
    child,
    exited,
    pid: child.pid!,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
    url,
  }
}

/** Pids of the runtime workers whose parent is `pid`. */
export function workerPidsOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'mlxk_runtime.worker'], {encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

/** True once none of `pids` is alive (zombies count as gone). */
export async function allGone(pids: number[], timeoutMs = 5000): Promise<boolean> {
  return waitUntil(() => pids.every((p) => !processExists(p)), timeoutMs)
}

/** Reads an SSE response into its `data:` payloads (`[DONE]` kept as the string). */
export async function readSse(response: Response, onEvent?: (data: string) => void): Promise<string[]> {
  const events: string[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, {stream: true})
    let cut: number
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      for (const line of block.split('\n')) {
        if (!line.startsWith('data: ')) continue
        const data = line.slice(6)
        events.push(data)
        onEvent?.(data)
      }
    }
  }

  return events
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  init?: RequestInit,
): Promise<{body: T; response: Response}> {
  const response = await fetch(url, init)
  return {body: (await response.json()) as T, response}
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {'Content-Type': 'application/json', ...headers},
    method: 'POST',
    ...(signal ? {signal} : {}),
  })
}

export {delay}
