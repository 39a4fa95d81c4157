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
    model: {default: 'small', type: 'string'},
    requests: {default: '30', type: 'string'},
    'shared-prefix': {default: false, type: 'boolean'},
  },
})
const python = join(root, 'python-runtime', '.venv', 'bin', 'python')
const {importFolder} = await import(join(root, 'lib/sdk/cache/import-folder.js'))
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
const snapshot = (await importFolder({folder: modelDir, repoId: 'bench/model', root: hub})).snapshotDir
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const prompt = (i) => (values['shared-prefix'] ? `Tell me a story, number ${i}.` : `${i}: tell me a story.`)

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function start(who) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child =
    who === 'peer'
      ? spawn(python, ['-m', 'mlx_lm.server', '--model', snapshot, '--port', String(port)], {stdio: 'ignore'})
      : spawn(process.execPath, [join(root, 'bin/run.js'), 'serve', '--port', String(port), '--model', 'bench/model'], {
          env: {...process.env, HF_HUB_CACHE: hub, MLXK_ALPHA: 'server'},
          stdio: 'ignore',
        })
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${who} exited ${child.exitCode}`)
    const ok = await fetch(`${url}/v1/models`).then((r) => r.ok, () => false)
    if (ok) return {child, model: who === 'peer' ? snapshot : 'bench/model', url}
    await delay(100)
  }
}

/** One streamed chat request; TTFT is the first chunk with content (a role-only chunk does not count). */
async function viaHttp(server, i) {
  const started = performance.now()
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    body: JSON.stringify({
      max_tokens: 8,
      messages: [{content: prompt(i), role: 'user'}],
      model: server.model,
      stream: true,
      temperature: 0,
    }),
    headers: {'Content-Type': 'application/json'},
    method: 'POST',
  })
  let first
  let buffer = ''
  const decoder = new TextDecoder()
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, {stream: true})
    let cut
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const line = buffer.slice(0, cut).trim()
      buffer = buffer.slice(cut + 2)
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
      const choice = JSON.parse(line.slice(6)).choices?.[0]
      if (choice?.delta?.content || choice?.finish_reason) first ??= performance.now()
    }
  }

  return first - started
}

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

const ours = await start('ours')
const peer = await start('peer')
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
  for (const s of [ours, peer]) s.child.kill('SIGTERM')
}
