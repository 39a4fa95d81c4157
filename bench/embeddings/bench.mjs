// Embeddings benchmark (not a test): embeddings per second for 256 short texts sent as one batch to POST
// /v1/embeddings on `mlxk serve`, against the same model called directly in Python through the runtime's
// embedding library (bench/embeddings/direct.py: tokenise, batch, forward, pool; no server, no IPC).
// The model is a random-weight BERT embedder (default all-MiniLM-L6-v2's geometry), where compute dominates as
// it does for real models. Rounds alternate between the two so load from other processes hits both alike; the
// ratio uses each side's best round (the least disturbed) and, for reference, the medians. Target: ratio >= 0.9.
//   scripts/with-node24.sh node bench/embeddings/bench.mjs [--rounds 3] [--texts 256] [--hidden 384] [--layers 6]
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {parseArgs} from 'node:util'

import {percentile, python, root, startMlxk, stop} from '../lib/servers.mjs'

const {values} = parseArgs({
  options: {
    hidden: {default: '384', type: 'string'},
    layers: {default: '6', type: 'string'},
    rounds: {default: '3', type: 'string'},
    texts: {default: '256', type: 'string'},
  },
})
const rounds = Number(values.rounds)
const work = mkdtempSync(join(tmpdir(), 'mlxk-embed-bench-'))
const dir = join(work, 'random-bert')
const made = execFileSync(python, [
  join(root, 'bench/embeddings/make_random_encoder.py'),
  join(root, 'test/fixtures/models/tiny-bert-embed'),
  dir,
  '--hidden',
  values.hidden,
  '--layers',
  values.layers,
])
const {parameters} = JSON.parse(made.toString().trim().split('\n').at(-1))

// Short texts of the paraphrase corpus, each made unique.
const {topics} = JSON.parse(readFileSync(join(root, 'test/fixtures/models/expected-embeddings.json'), 'utf8'))[
  'tiny-bert-embed'
]
const sentences = topics.flat()
const texts = Array.from({length: Number(values.texts)}, (_, i) => `${sentences[i % sentences.length]} (note ${i})`)
const textsFile = join(work, 'texts.json')
writeFileSync(textsFile, JSON.stringify(texts))

const {importFolder} = await import(join(root, 'lib/sdk/cache/import-folder.js'))
const hub = join(work, 'hub')
const model = {id: 'bench/random-bert'}
await importFolder({folder: dir, repoId: model.id, root: hub})

const direct = spawn(python, [join(root, 'bench/embeddings/direct.py'), dir, textsFile], {
  stdio: ['pipe', 'pipe', 'ignore'],
})
const lines = createInterface({input: direct.stdout})[Symbol.asyncIterator]()
const nextLine = async () => (await lines.next()).value
if ((await nextLine()) !== 'ready') throw new Error('direct.py did not start')
const server = await startMlxk(model, hub)

async function viaServer(encoding) {
  const started = performance.now()
  const response = await fetch(`${server.url}/v1/embeddings`, {
    body: JSON.stringify({encoding_format: encoding, input: texts, model: model.id}),
    headers: {'Content-Type': 'application/json'},
    method: 'POST',
  })
  const body = await response.json()
  if (!response.ok || body.data.length !== texts.length) throw new Error(`server: ${JSON.stringify(body).slice(0, 300)}`)
  return (performance.now() - started) / 1000
}

async function viaPython() {
  direct.stdin.write('go\n')
  return Number(await nextLine())
}

try {
  await viaServer('float') // warm-up: the first forward pass sets up kernels
  const seconds = {base64: [], direct: [], float: []}
  for (let r = 0; r < rounds; r++) {
    seconds.direct.push(await viaPython())
    seconds.float.push(await viaServer('float'))
    seconds.base64.push(await viaServer('base64'))
  }

  const rate = (xs, pick) => texts.length / pick(xs)
  const best = (xs) => Math.min(...xs)
  const median = (xs) => percentile(xs, 50)
  const report = {
    model: `random BERT, ${values.hidden} wide, ${values.layers} layers, ${(parameters / 1e6).toFixed(1)}M parameters`,
    rounds,
    seconds,
    texts: texts.length,
  }
  for (const side of ['direct', 'float', 'base64']) {
    report[`${side}_embeddings_per_s`] = {best: rate(seconds[side], best), median: rate(seconds[side], median)}
  }

  for (const format of ['float', 'base64']) {
    report[`ratio_${format}`] = {
      best: rate(seconds[format], best) / rate(seconds.direct, best),
      median: rate(seconds[format], median) / rate(seconds.direct, median),
    }
  }

  console.log(JSON.stringify(report, null, 2))
  const ratio = report.ratio_float.best
  console.log(`mlxk serve /v1/embeddings vs direct Python: ${ratio.toFixed(3)}x (target >= 0.9)`)
} finally {
  direct.stdin.end()
  await stop(server)
}
