// Prompt cache benchmark (not a test), issue #21: multi-turn chats on the ~100M random-weight model with a long
// system prompt, streamed, greedy, `max_tokens` 32 per answer.
//   1. One client, one 8-turn chat: TTFT of turns 2-8 against turn 1 (target <= 0.3x) and against mlx_lm.server
//      (which has a prompt cache too) at the same turn (target <= 1.0x).
//   2. Four clients, each its own 8-turn chat (its own system prompt), interleaved: every later turn must reuse its
//      own conversation (cached_tokens >= the previous turn's prompt), aggregate tokens/s >= 1.0x the same server
//      without the cache; bytes held and hit rate after the run.
//   scripts/with-node24.sh node bench/prompt-cache/bench.mjs [--turns 8] [--system-words 215] [--max-tokens 32]
//     [--rounds 1] [--clients 4] [--client-turns N (default: --turns)] [--skip-uncached] [--parts 1,2]
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {percentile, randomModel, startMlxk, startMlxLm, stop, streamChat} from '../lib/servers.mjs'

const {values} = parseArgs({
  options: {
    clients: {default: '4', type: 'string'},
    'client-turns': {type: 'string'},
    'max-tokens': {default: '32', type: 'string'},
    parts: {default: '1,2', type: 'string'},
    rounds: {default: '1', type: 'string'},
    'skip-uncached': {default: false, type: 'boolean'},
    'system-words': {default: '215', type: 'string'},
    turns: {default: '8', type: 'string'},
  },
})
const turns = Number(values.turns)
const maxTokens = Number(values['max-tokens'])
const rounds = Number(values.rounds)
const clients = Number(values.clients)
const clientTurns = Number(values['client-turns'] ?? turns)
const parts = new Set(values.parts.split(','))

const work = mkdtempSync(join(tmpdir(), 'mlxk-prompt-cache-bench-'))
const hub = join(work, 'hub')
const model = await randomModel(work, hub)

const WORDS = 'the quick brown fox jumps over a lazy dog while seven careful engineers measure caches and answers'.split(' ')
/** About 4.7 tokens a word with this tokenizer: 215 words are ~1,000 tokens. `who` makes each client's differ. */
const systemPrompt = (who) =>
  `${who}. ` + Array.from({length: Number(values['system-words'])}, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ')
const question = (turn) => `Turn ${turn}: tell me more about the fox and the engineers, briefly.`

/** One conversation on one server; each answer goes back into the history as a client would send it. */
function conversation(server, who) {
  const messages = [{content: systemPrompt(who), role: 'system'}]
  const results = []
  return {
    results,
    async next() {
      messages.push({content: question(results.length + 1), role: 'user'})
      const r = await streamChat(server, messages, maxTokens)
      if (r.error) throw new Error(`turn ${results.length + 1}: ${r.error}`)
      results.push(r)
      messages.push({content: r.content, role: 'assistant'})
    },
  }
}

async function chat(server, who) {
  const c = conversation(server, who)
  for (let turn = 1; turn <= clientTurns; turn++) await c.next()
  return c.results
}

async function withServer(start, body) {
  const server = await start()
  try {
    await warmUp(server)
    return await body(server)
  } finally {
    await stop(server)
  }
}

/** An unrelated conversation first: kernels compiled, nothing of the measured chat cached. */
const warmUp = (server) => streamChat(server, [{content: 'warm up', role: 'user'}], 4)

const ours = (args = []) => () => startMlxk(model, hub, args)
const peer = () => startMlxLm(model)
const median = (xs) => percentile(xs, 50)
const fixed = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')

// ---- 1. One client ----
async function oneClient() {
  // Both servers are up at once and the two chats advance turn by turn, the order flipping each turn, so that the
  // shared machine's drifting load weighs on both alike; only one of them computes at a time.
  const oneChat = {ours: [], peer: []}
  for (let round = 0; round < rounds; round++) {
    const servers = {ours: await ours()(), peer: await peer()}
    try {
      const chats = {}
      for (const who of ['ours', 'peer']) {
        await warmUp(servers[who])
        chats[who] = conversation(servers[who], 'Client A')
      }

      for (let turn = 1; turn <= turns; turn++) {
        for (const who of (turn + round) % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) await chats[who].next()
      }

      for (const who of ['ours', 'peer']) oneChat[who].push(chats[who].results)
    } finally {
      await Promise.all(Object.values(servers).map((server) => stop(server)))
    }
  }

  const ttft = (who, turn) => median(oneChat[who].map((run) => run[turn - 1].ttft_s * 1000))
  const first = oneChat.ours[0]
  console.log(
    `\n1. One ${turns}-turn chat, ~100M random model, turn 1 prompt ${first[0].prompt_tokens} tokens, max_tokens ${maxTokens}, ` +
      `median of ${rounds} round(s)`,
  )
  console.log('turn  prompt  cached  peer cached  TTFT ours ms  TTFT mlx_lm.server ms  ours/turn1  ours/peer')
  const vsFirst = []
  const vsPeer = []
  for (let turn = 1; turn <= turns; turn++) {
    const r = first[turn - 1]
    const self = ttft('ours', turn) / ttft('ours', 1)
    const other = ttft('ours', turn) / ttft('peer', turn)
    if (turn > 1) {
      vsFirst.push(self)
      vsPeer.push(other)
    }

    console.log(
      `${String(turn).padStart(4)}  ${String(r.prompt_tokens).padStart(6)}  ${String(r.cached_tokens).padStart(6)}  ` +
        `${String(oneChat.peer[0][turn - 1].cached_tokens).padStart(11)}  ` +
        `${fixed(ttft('ours', turn), 1).padStart(12)}  ${fixed(ttft('peer', turn), 1).padStart(21)}  ` +
        `${fixed(self).padStart(10)}  ${fixed(other).padStart(9)}`,
    )
  }

  console.log(
    `turns 2-${turns}: TTFT vs turn 1 max ${fixed(Math.max(...vsFirst))}, mean ${fixed(vsFirst.reduce((a, b) => a + b, 0) / vsFirst.length)} (target <= 0.3); ` +
      `vs mlx_lm.server median ${fixed(median(vsPeer))}, max ${fixed(Math.max(...vsPeer))} (target <= 1.0)`,
  )
}

// ---- 2. Interleaved clients ----
async function interleaved(server) {
  const started = performance.now()
  const chats = await Promise.all(Array.from({length: clients}, (_, c) => chat(server, `Client ${c + 1}`)))
  const wall = (performance.now() - started) / 1000
  const tokens = chats.flat().reduce((sum, r) => sum + r.tokens, 0)
  return {chats, tokensPerS: tokens / wall}
}

async function cacheState(server) {
  const health = await (await fetch(`${server.url}/health`)).json()
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const count = (name) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0)
  const hits = count('mlxk_prompt_cache_hits_total')
  const misses = count('mlxk_prompt_cache_misses_total')
  return {bytes: health.models[0]?.prompt_cache?.bytes, hitRate: hits / (hits + misses), hits, misses}
}

async function manyClients() {
  console.log(`\n2. ${clients} clients, each its own ${clientTurns}-turn chat, interleaved`)
  const cachedRun = await withServer(ours(), async (server) => ({...(await interleaved(server)), state: await cacheState(server)}))
  const peerRun = await withServer(peer, interleaved)
  const uncachedRun = values['skip-uncached'] ? undefined : await withServer(ours(['--prompt-cache-bytes', '0']), interleaved)

  for (const [c, run] of cachedRun.chats.entries()) {
    const later = run.slice(1)
    const own = later.filter((r, i) => r.cached_tokens >= run[i].prompt_tokens).length
    console.log(
      `  client ${c + 1}: turns 2-${clientTurns} cached_tokens ${later.map((r) => r.cached_tokens).join(',')}; ` +
        `${own}/${later.length} reuse the whole previous prompt (own prefix); TTFT turn 1 ${fixed(run[0].ttft_s * 1000, 1)} ms, ` +
        `turns 2-${clientTurns} median ${fixed(median(later.map((r) => r.ttft_s * 1000)), 1)} ms`,
    )
  }

  const {state} = cachedRun
  console.log(
    `  aggregate tokens/s: ours ${fixed(cachedRun.tokensPerS, 1)}, ours without the cache ${fixed(uncachedRun?.tokensPerS, 1)} ` +
      `(ratio ${fixed(cachedRun.tokensPerS / (uncachedRun?.tokensPerS ?? NaN))}, target >= 1.0), mlx_lm.server ${fixed(peerRun.tokensPerS, 1)} ` +
      `(ratio ${fixed(cachedRun.tokensPerS / peerRun.tokensPerS)})`,
  )
  console.log(
    `  after the run: ${fixed(state.bytes / 2 ** 20, 1)} MiB held, hit rate ${fixed(state.hitRate)} (${state.hits} hits, ${state.misses} misses, warm-up included)`,
  )
}

if (parts.has('1')) await oneClient()
if (parts.has('2')) await manyClients()
