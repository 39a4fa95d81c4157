// Server benchmark (not a test): `mlxk serve` vs `mlx_lm.server` from the runtime venv, same model, streaming chat
// requests, greedy, 1 and 4 concurrent clients. Both servers run with their defaults (mlxk batches up to
// --parallel 8, mlx_lm.server up to 32), as a user starts them. Reports aggregate tokens/s and TTFT p50 as ratios
// ours/peer, TTFT p95 and errors. Targets: tokens/s >= 1.0x the peer and TTFT p50 <= 1.0x at 4 clients, zero errors.
//   scripts/with-node24.sh node bench/server/bench.mjs [--requests 8] [--max-tokens 64] [--model tiny|random|both]
//     [--clients 1,4] [--rounds 3] [--parallel N (mlxk only; default: the server's own)]
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {parseArgs} from 'node:util'

const root = new URL('../..', import.meta.url).pathname
const {values} = parseArgs({
  options: {
    clients: {default: '1,4', type: 'string'},
    'max-tokens': {default: '64', type: 'string'},
    model: {default: 'both', type: 'string'},
    parallel: {type: 'string'},
    requests: {default: '8', type: 'string'},
    rounds: {default: '3', type: 'string'},
  },
})
const maxTokens = Number(values['max-tokens'])
const requestsPerClient = Number(values.requests)
const rounds = Number(values.rounds)
const python = join(root, 'python-runtime', '.venv', 'bin', 'python')
const {importFolder} = await import(join(root, 'lib/sdk/cache/import-folder.js'))

const work = mkdtempSync(join(tmpdir(), 'mlxk-server-bench-'))
const hub = join(work, 'hub')
const models = []
if (values.model !== 'random') models.push({dir: join(root, 'test/fixtures/models/tiny-qwen2-bpe'), id: 'bench/tiny-qwen2-bpe', label: 'tiny test model (per-token overhead)'})
if (values.model !== 'tiny') {
  const dir = join(work, 'random-100m')
  execFileSync(python, [join(root, 'bench/runtime/make_random_model.py'), join(root, 'test/fixtures/models/tiny-qwen2-bpe'), dir], {stdio: ['ignore', 'ignore', 'inherit']})
  models.push({dir, id: 'bench/random-100m', label: '~100M random-weight model (throughput)'})
}

for (const m of models) m.snapshot = (await importFolder({folder: m.dir, repoId: m.id, root: hub})).snapshotDir

const percentile = (xs, p) => {
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

async function startOurs(model) {
  const port = await freePort()
  const parallel = values.parallel === undefined ? [] : ['--parallel', values.parallel]
  const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'serve', '--port', String(port), '--model', model.id, ...parallel], {
    env: {...process.env, HF_HUB_CACHE: hub, MLXK_ALPHA: 'server'},
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  const url = `http://127.0.0.1:${port}`
  await waitReady(url, child)
  return {child, model: model.id, url}
}

async function startPeer(model) {
  const port = await freePort()
  const child = spawn(python, ['-m', 'mlx_lm.server', '--model', model.snapshot, '--port', String(port)], {stdio: ['ignore', 'ignore', 'ignore']})
  const url = `http://127.0.0.1:${port}`
  await waitReady(url, child)
  return {child, model: model.snapshot, url}
}

/** One streamed chat request: TTFT (first content), completion tokens (from the usage chunk), errors. */
async function oneRequest(server, index) {
  const started = performance.now()
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    body: JSON.stringify({
      max_tokens: maxTokens,
      messages: [{content: `Tell me a story, number ${index}.`, role: 'user'}],
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
  let tokens = 0
  let pieces = 0
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
      if (data.usage) tokens = data.usage.completion_tokens
      const delta = data.choices?.[0]?.delta
      if (delta?.content || delta?.reasoning_content || delta?.reasoning) {
        first ??= performance.now()
        pieces += 1
      }
    }
  }

  return {pieces, tokens, ttft_s: ((first ?? performance.now()) - started) / 1000}
}

async function load(server, clients) {
  await oneRequest(server, -1) // warm-up
  const results = []
  const started = performance.now()
  await Promise.all(
    Array.from({length: clients}, async (_, c) => {
      for (let r = 0; r < requestsPerClient; r++) results.push(await oneRequest(server, c * 1000 + r))
    }),
  )
  const wall = (performance.now() - started) / 1000
  const ok = results.filter((r) => !r.error)
  const tokens = ok.reduce((sum, r) => sum + (r.tokens || r.pieces), 0)
  return {
    errors: results.length - ok.length,
    tokens_per_s: tokens / wall,
    ttft_p50_ms: percentile(ok.map((r) => r.ttft_s * 1000), 50),
    ttft_p95_ms: percentile(ok.map((r) => r.ttft_s * 1000), 95),
  }
}

async function measure(start, clients) {
  const server = await start()
  try {
    return await load(server, clients)
  } finally {
    server.child.kill('SIGTERM')
    await new Promise((resolve) => (server.child.exitCode === null ? server.child.once('exit', resolve) : resolve()))
  }
}

/** Per-field medians over rounds; errors are summed, since one error anywhere counts. */
function medianRun(runs) {
  const med = (key) => percentile(runs.map((r) => r[key]), 50)
  return {
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    tokens_per_s: med('tokens_per_s'),
    ttft_p50_ms: med('ttft_p50_ms'),
    ttft_p95_ms: med('ttft_p95_ms'),
  }
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a')
for (const model of models) {
  console.log(`\n${model.label}: ${requestsPerClient} requests per client, max_tokens ${maxTokens}, median of ${rounds} rounds`)
  for (const clients of values.clients.split(',').map(Number)) {
    // Rounds alternate which server goes first, and medians are reported: a shared machine's load drifts.
    const peerRuns = []
    const ourRuns = []
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['peer', 'ours'] : ['ours', 'peer']
      for (const who of order) {
        if (who === 'peer') peerRuns.push(await measure(() => startPeer(model), clients))
        else ourRuns.push(await measure(() => startOurs(model), clients))
      }
    }

    const peer = medianRun(peerRuns)
    const ours = medianRun(ourRuns)
    console.log(
      `  ${clients} client(s): tokens/s ours ${fmt(ours.tokens_per_s)} vs mlx_lm.server ${fmt(peer.tokens_per_s)} ` +
        `(ratio ${(ours.tokens_per_s / peer.tokens_per_s).toFixed(3)}); TTFT p50/p95 ours ${fmt(ours.ttft_p50_ms)}/${fmt(ours.ttft_p95_ms)} ms, ` +
        `peer ${fmt(peer.ttft_p50_ms)}/${fmt(peer.ttft_p95_ms)} ms (p50 ratio ${(ours.ttft_p50_ms / peer.ttft_p50_ms).toFixed(3)}); ` +
        `errors ours ${ours.errors}, peer ${peer.errors}`,
    )
  }
}
