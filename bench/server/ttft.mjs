// Single-client time-to-first-token breakdown (not a test): where a streamed chat request's TTFT goes in
// `mlxk serve`, next to `mlx_lm.server` on the same model. Both servers run at once and take turns request by
// request, so a shared machine's load drifts over both alike; a RuntimeClient of its own measures the worker.
// Reports medians of:
//   client TTFT   request sent → first content chunk read (ours, peer)
//   server TTFT   ours, from /metrics: request received by Koa → first token back from the worker
//   worker        RuntimeClient alone: generate sent → `start` event, → first token; and the worker's own ttft_s
//                 (generate received → first token: template, tokenization, prompt-cache lookup, prefill)
//   scripts/with-node24.sh node bench/server/ttft.mjs [--model tiny|small] [--requests 30] [--shared-prefix]
// `small` is a 3M-parameter random qwen2 (make_random_model.py at hidden 256, 4 layers); `--shared-prefix` makes
// consecutive prompts share all but their last words, so both prompt caches reuse most of the prompt.
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {importModel, python, root, startMlxk, startMlxLm, stop, streamChat} from '../lib/servers.mjs'

const {values} = parseArgs({
  options: {
    model: {default: 'small', type: 'string'},
    requests: {default: '30', type: 'string'},
    'shared-prefix': {default: false, type: 'boolean'},
  },
})
const {RuntimeClient} = await import(join(root, 'lib/sdk/runtime/index.js'))

const work = mkdtempSync(join(tmpdir(), 'mlxk-ttft-bench-'))
const tiny = join(root, 'test/fixtures/models/tiny-qwen2-bpe')
let modelDir = tiny
if (values.model === 'small') {
  modelDir = join(work, 'random-3m')
  const make = `import sys; sys.path.insert(0, ${JSON.stringify(join(root, 'bench/runtime'))}); import make_random_model as m; m.main(${JSON.stringify(tiny)}, ${JSON.stringify(modelDir)}, 256, 4)`
  execFileSync(python, ['-c', make], {stdio: ['ignore', 'ignore', 'inherit']})
}

const hub = join(work, 'hub')
const model = await importModel(modelDir, hub, 'bench/model')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const prompt = (i) => (values['shared-prefix'] ? `Tell me a story, number ${i}.` : `${i}: tell me a story.`)

/** One streamed chat request's client TTFT in ms: to the first chunk with content. */
const viaHttp = async (server, i) =>
  (await streamChat(server, [{content: prompt(i), role: 'user'}], 8)).ttft_s * 1000

async function viaClient(client, i) {
  const started = performance.now()
  let first
  let startEvent
  let done
  const params = {max_tokens: 8, messages: [{content: prompt(i), role: 'user'}], model_id: 'bench', temperature: 0}
  for await (const event of client.generate(params)) {
    if (event.event === 'start') startEvent = performance.now() - started
    if (event.event === 'token') first ??= performance.now() - started
    if (event.event === 'done') done = event
  }

  return {first: first ?? performance.now() - started, start: startEvent, worker: done.timing.ttft_s * 1000}
}

const ours = await startMlxk(model, hub)
const peer = await startMlxLm(model)
const client = await RuntimeClient.start({python})
try {
  await client.load({modelId: 'bench', modelPath: modelDir})
  const rows = []
  for (let i = -3; i < Number(values.requests); i++) {
    const row = {ours: await viaHttp(ours, i), peer: await viaHttp(peer, i), ...(await viaClient(client, i))}
    if (i >= 0) rows.push(row)
  }

  const metrics = await (await fetch(`${ours.url}/metrics`)).text()
  const read = (name) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1])
  const serverMean =
    (read('mlxk_time_to_first_token_seconds_sum') / read('mlxk_time_to_first_token_seconds_count')) * 1000
  const col = (key) => median(rows.map((r) => r[key])).toFixed(1)
  console.log(
    `${values.model} model, ${rows.length} requests, ${values['shared-prefix'] ? 'shared' : 'distinct'} prompt prefixes (ms, p50)\n` +
      `  client TTFT: ours ${col('ours')}, mlx_lm.server ${col('peer')} (ratio ${(median(rows.map((r) => r.ours)) / median(rows.map((r) => r.peer))).toFixed(3)})\n` +
      `  ours server-side TTFT (mean incl. warm-up): ${serverMean.toFixed(1)}\n` +
      `  RuntimeClient alone: start event ${col('start')}, first token ${col('first')}, worker ttft_s ${col('worker')}`,
  )
} finally {
  await client.close()
  await Promise.all([stop(ours), stop(peer)])
}
