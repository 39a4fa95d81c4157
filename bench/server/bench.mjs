// Server benchmark (not a test): `mlxk serve` vs `mlx_lm.server` from the runtime venv, same model, streaming chat
// requests, greedy, 1 and 4 concurrent clients. Both servers run with their defaults (mlxk batches up to
// --parallel 8, mlx_lm.server up to 32), as a user starts them. Reports aggregate tokens/s and TTFT p50 as ratios
// ours/peer, TTFT p95 and errors. Targets: tokens/s >= 1.0x the peer and TTFT p50 <= 1.0x at 4 clients, zero errors.
//   scripts/with-node24.sh node bench/server/bench.mjs [--requests 8] [--max-tokens 64] [--model tiny|random|both]
//     [--clients 1,4] [--rounds 3] [--parallel N (mlxk only; default: the server's own)]
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {percentile, randomModel, startMlxk, startMlxLm, stop, streamChat, tinyModel} from '../lib/servers.mjs'

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

const work = mkdtempSync(join(tmpdir(), 'mlxk-server-bench-'))
const hub = join(work, 'hub')
const models = []
if (values.model !== 'random') models.push({...(await tinyModel(hub)), label: 'tiny test model (per-token overhead)'})
if (values.model !== 'tiny') models.push({...(await randomModel(work, hub)), label: '~100M random-weight model (throughput)'})

const startOurs = (model) => startMlxk(model, hub, values.parallel === undefined ? [] : ['--parallel', values.parallel])
const startPeer = (model) => startMlxLm(model)
const oneRequest = (server, index) =>
  streamChat(server, [{content: `Tell me a story, number ${index}.`, role: 'user'}], maxTokens)

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
    await stop(server)
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
