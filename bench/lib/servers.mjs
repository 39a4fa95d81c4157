// Shared by the server benchmarks: the ~100M random model in a hub cache, `mlxk serve` and `mlx_lm.server` from the
// runtime venv on free ports, and one streamed chat request measured from the client's side.
import {execFileSync, spawn} from 'node:child_process'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

export const root = new URL('../..', import.meta.url).pathname
export const python = join(root, 'python-runtime', '.venv', 'bin', 'python')
const tinyBpe = join(root, 'test/fixtures/models/tiny-qwen2-bpe')

/** A model folder imported into the hub cache `hub` as `id`: `{dir, id, snapshot}` (mlx_lm.server loads `snapshot`). */
export async function importModel(dir, hub, id) {
  const {importFolder} = await import(join(root, 'lib/sdk/cache/import-folder.js'))
  return {dir, id, snapshot: (await importFolder({folder: dir, repoId: id, root: hub})).snapshotDir}
}

export const tinyModel = (hub) => importModel(tinyBpe, hub, 'bench/tiny-qwen2-bpe')

/** The ~100M random-weight model written under `work` and imported into `hub`. */
export async function randomModel(work, hub, id = 'bench/random-100m') {
  const dir = join(work, 'random-100m')
  execFileSync(python, [join(root, 'bench/runtime/make_random_model.py'), tinyBpe, dir], {stdio: ['ignore', 'ignore', 'inherit']})
  return importModel(dir, hub, id)
}

export function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function waitReady(url, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}`)
    try {
      if ((await fetch(`${url}/v1/models`)).ok) return
    } catch {
      // Not listening yet.
    }

    await delay(100)
  }

  throw new Error('server not ready')
}

/**
 * `mlxk serve` on `hub` with the model preloaded; `args` are extra flags. One retry: on a shared checkout another
 * build may be rewriting lib/ at that moment.
 */
export async function startMlxk(model, hub, args = [], retry = true) {
  try {
    return await startMlxkOnce(model, hub, args)
  } catch (error) {
    if (!retry) throw error
    await delay(10_000)
    return startMlxk(model, hub, args, false)
  }
}

async function startMlxkOnce(model, hub, args) {
  const port = await freePort()
  const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'serve', '--port', String(port), '--model', model.id, ...args], {
    env: {...process.env, HF_HUB_CACHE: hub, MLXK_ALPHA: 'server'},
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  const url = `http://127.0.0.1:${port}`
  await waitReady(url, child)
  return {child, model: model.id, url}
}

/** `mlx_lm.server` from the runtime venv (the same mlx-lm as the worker) with its defaults. */
export async function startMlxLm(model, args = []) {
  const port = await freePort()
  const child = spawn(python, ['-m', 'mlx_lm.server', '--model', model.snapshot, '--port', String(port), ...args], {stdio: ['ignore', 'ignore', 'ignore']})
  const url = `http://127.0.0.1:${port}`
  await waitReady(url, child)
  return {child, model: model.snapshot, url}
}

export async function stop(server) {
  server.child.kill('SIGTERM')
  await new Promise((resolve) => (server.child.exitCode === null ? server.child.once('exit', resolve) : resolve()))
}

/**
 * One streamed chat request: TTFT (to the first text delta), the answer's content, usage from the usage chunk
 * (completion tokens, prompt tokens, cached tokens where the server reports them), or an error.
 */
export async function streamChat(server, messages, maxTokens) {
  const started = performance.now()
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    body: JSON.stringify({
      max_tokens: maxTokens,
      messages,
      model: server.model,
      stream: true,
      stream_options: {include_usage: true},
      temperature: 0,
    }),
    headers: {'Content-Type': 'application/json'},
    method: 'POST',
  })
  if (!response.ok) return {error: `HTTP ${response.status}`}
  let first
  let content = ''
  let pieces = 0
  let usage
  let buffer = ''
  const decoder = new TextDecoder()
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, {stream: true})
    let cut
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const line = buffer.slice(0, cut).trim()
      buffer = buffer.slice(cut + 2)
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
      const data = JSON.parse(line.slice(6))
      if (data.error) return {error: JSON.stringify(data.error)}
      if (data.usage) usage = data.usage
      const delta = data.choices?.[0]?.delta
      if (delta?.content || delta?.reasoning_content || delta?.reasoning) {
        first ??= performance.now()
        pieces += 1
        content += delta.content ?? ''
      }
    }
  }

  return {
    cached_tokens: usage?.prompt_tokens_details?.cached_tokens,
    content,
    prompt_tokens: usage?.prompt_tokens,
    tokens: usage?.completion_tokens ?? pieces,
    ttft_s: ((first ?? performance.now()) - started) / 1000,
  }
}
