// Runtime benchmark (not a test): tokens/s and time to first token through RuntimeClient vs mlx-lm called directly
// in Python, on the same model, greedy. Prints ratios. Targets: >= 0.97x throughput, <= 5 ms added TTFT.
//   scripts/with-node24.sh node bench/runtime/bench.js [--runs 5] [--max-tokens 128]
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

const root = new URL('../..', import.meta.url).pathname
const {values} = parseArgs({options: {'max-tokens': {default: '128', type: 'string'}, rounds: {default: '2', type: 'string'}, runs: {default: '5', type: 'string'}}})
const maxTokens = Number(values['max-tokens'])
const runs = Number(values.runs)
const rounds = Number(values.rounds)
const python = join(root, 'python-runtime', '.venv', 'bin', 'python')
const {RuntimeClient} = await import(join(root, 'lib/sdk/runtime/index.js'))

const tiny = join(root, 'test', 'fixtures', 'models', 'tiny-qwen2-bpe')
const bigDir = join(mkdtempSync(join(tmpdir(), 'mlxk-bench-')), 'random-100m')
const made = JSON.parse(execFileSync(python, [join(root, 'bench/runtime/make_random_model.py'), join(root, 'test/fixtures/models/tiny-qwen2-bpe'), bigDir], {encoding: 'utf8'}))
console.error(`random model: ${(made.params / 1e6).toFixed(1)}M parameters`)

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function viaRuntime(modelPath, prompt) {
  const client = await RuntimeClient.start({python})
  try {
    await client.load({modelId: 'bench', modelPath})
    const results = []
    for (let run = 0; run <= runs; run++) {
      const start = performance.now()
      let first
      let done
      for await (const event of client.generate({max_tokens: maxTokens, model_id: 'bench', prompt, temperature: 0})) {
        if (event.event === 'token' && first === undefined) first = performance.now()
        if (event.event === 'done') done = event
      }
      const end = performance.now()
      if (run === 0) continue
      const tokens = done.usage.completion_tokens
      results.push({tokens, tokens_per_s: tokens > 1 ? ((tokens - 1) * 1000) / (end - first) : 0, ttft_s: (first - start) / 1000})
    }
    return results
  } finally {
    await client.close()
  }
}

function direct(modelPath, prompt) {
  return JSON.parse(execFileSync(python, [join(root, 'bench/runtime/direct.py'), modelPath, prompt, String(maxTokens), String(runs)], {encoding: 'utf8'}))
}

for (const [label, model, prompt] of [
  ['tiny test model (per-token overhead)', tiny, '<|im_start|>user\nList the colors.<|im_end|>\n<|im_start|>assistant\n'],
  ['~100M random-weight model (throughput)', bigDir, 'The quick brown fox jumps over the lazy dog. '],
]) {
  const ours = []
  const peer = []
  for (let round = 0; round < rounds; round++) {
    peer.push(...direct(model, prompt))
    ours.push(...(await viaRuntime(model, prompt)))
  }

  const tpsOurs = median(ours.map((r) => r.tokens_per_s))
  const tpsPeer = median(peer.map((r) => r.tokens_per_s))
  const ttftOurs = median(ours.map((r) => r.ttft_s)) * 1000
  const ttftPeer = median(peer.map((r) => r.ttft_s)) * 1000
  console.log(`\n${label}`)
  console.log(`  tokens/run       mlxk ${median(ours.map((r) => r.tokens))}   mlx-lm ${median(peer.map((r) => r.tokens))}`)
  console.log(`  tokens/s         mlxk ${tpsOurs.toFixed(1)}   mlx-lm ${tpsPeer.toFixed(1)}   ratio ${(tpsOurs / tpsPeer).toFixed(3)}x (target >= 0.97x)`)
  console.log(`  TTFT (median)    mlxk ${ttftOurs.toFixed(2)} ms   mlx-lm ${ttftPeer.toFixed(2)} ms   added ${(ttftOurs - ttftPeer).toFixed(2)} ms (target <= 5 ms)`)
}
