// Distributed runtime benchmark (not a test): decode tokens/s and time to first token of a 2-rank group
// (tensor and/or pipeline parallel, ring backend over loopback) against one single-process RuntimeClient, on the
// same ~100M-parameter random-weight qwen2, greedy. Prints a table and the ratios; checks that the group's greedy
// text is the single process's text.
//   scripts/with-node24.sh node bench/distributed/bench.js [--runs 3] [--rounds 2] [--max-tokens 128]
//                                                         [--sharding tensor|pipeline|tensor,pipeline] [--python PATH]
// See bench/distributed/README.md for what the numbers mean on a small CPU-only machine.
import {execFileSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

const root = new URL('../..', import.meta.url).pathname
const {values} = parseArgs({
  options: {
    'max-tokens': {default: '128', type: 'string'},
    python: {type: 'string'},
    rounds: {default: '2', type: 'string'},
    runs: {default: '3', type: 'string'},
    sharding: {default: 'tensor,pipeline', type: 'string'},
  },
})
const maxTokens = Number(values['max-tokens'])
const runs = Number(values.runs)
const rounds = Number(values.rounds)
const shardings = values.sharding.split(',').map((mode) => mode.trim())
for (const mode of shardings) {
  if (mode !== 'tensor' && mode !== 'pipeline') throw new Error(`--sharding: tensor or pipeline, not ${mode}`)
}

// The runtime's interpreter: the source checkout's venv unless --python names another (it runs every rank too).
const venvPython = join(root, 'python-runtime', '.venv', 'bin', 'python')
const python = values.python ?? venvPython
const {preflightGroup, resolveGroupSpec, RuntimeClient} = await import(join(root, 'lib/sdk/runtime/index.js'))

// The same model and prompt as bench/runtime's throughput case.
const prompt = 'The quick brown fox jumps over the lazy dog. '
const workDir = mkdtempSync(join(tmpdir(), 'mlxk-bench-dist-'))
const modelPath = join(workDir, 'random-100m')
process.on('exit', () => rmSync(workDir, {force: true, recursive: true}))
const made = JSON.parse(
  execFileSync(
    venvPython,
    [join(root, 'bench/runtime/make_random_model.py'), join(root, 'test/fixtures/models/tiny-qwen2-bpe'), modelPath],
    {
      encoding: 'utf8',
    },
  ),
)
const config = JSON.parse(readFileSync(join(modelPath, 'config.json'), 'utf8'))
console.error(
  `random model: ${(made.params / 1e6).toFixed(1)}M parameters, ${config.num_hidden_layers} layers, ` +
    `${config.num_attention_heads} heads / ${config.num_key_value_heads} kv heads, intermediate ${config.intermediate_size}, not quantized`,
)

// Pipeline sharding reads model.safetensors.index.json to know which files each rank needs: map every tensor of
// the one weights file to it (the safetensors header is an 8-byte little-endian length, then JSON).
function safetensorsNames(file) {
  const fd = openSync(file, 'r')
  try {
    const size = Buffer.alloc(8)
    readSync(fd, size, 0, 8, 0)
    const header = Buffer.alloc(Number(size.readBigUInt64LE(0)))
    readSync(fd, header, 0, header.length, 8)
    return Object.keys(JSON.parse(header.toString('utf8'))).filter((name) => name !== '__metadata__')
  } finally {
    closeSync(fd)
  }
}

const weightMap = Object.fromEntries(
  safetensorsNames(join(modelPath, 'model.safetensors')).map((name) => [name, 'model.safetensors']),
)
writeFileSync(
  join(modelPath, 'model.safetensors.index.json'),
  JSON.stringify({metadata: {}, weight_map: weightMap}, null, 2),
)

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// Resident memory of a process in MiB, {now, peak}: VmRSS and VmHWM on Linux; elsewhere (macOS) only ps's
// current RSS, which then stands for both.
function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return {now: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024}
  } catch {}

  try {
    const now = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], {encoding: 'utf8'}).trim()) / 1024
    return {now, peak: now}
  } catch {
    return {now: Number.NaN, peak: Number.NaN}
  }
}

const groups = {}
for (const mode of shardings) {
  const group = resolveGroupSpec({hosts: '127.0.0.1,127.0.0.1', sharding: mode})
  // Throws unshardable_model (with the reason) if the model does not split this way over 2 ranks.
  const [plan] = await preflightGroup(group, {modelPaths: [modelPath], python})
  console.error(`${mode} plan: ${JSON.stringify(plan)}`)
  groups[mode] = group
}

/** One client's session: start, load, one warm-up generation, `runs` measured ones, then each process's RSS. */
async function session(mode) {
  const started = performance.now()
  const client = await RuntimeClient.start(mode === 'single' ? {python} : {group: groups[mode], python})
  try {
    const loaded = await client.load({modelId: 'bench', modelPath})
    const ready = performance.now()
    if (mode !== 'single' && loaded.sharding?.mode !== mode) {
      throw new Error(`asked for ${mode} sharding, the group loaded ${JSON.stringify(loaded.sharding)}`)
    }

    const results = []
    for (let run = 0; run <= runs; run++) {
      const start = performance.now()
      let first
      let done
      let text = ''
      for await (const event of client.generate({max_tokens: maxTokens, model_id: 'bench', prompt, temperature: 0})) {
        if (event.event === 'token') {
          first ??= performance.now()
          text += event.text
        }

        if (event.event === 'done') done = event
      }

      const end = performance.now()
      if (run === 0) continue // warm-up
      const tokens = done.usage.completion_tokens
      results.push({
        text,
        tokens,
        tokens_per_s: tokens > 1 ? ((tokens - 1) * 1000) / (end - first) : 0,
        ttft_s: (first - start) / 1000,
      })
    }

    const pids =
      client.topology === undefined
        ? [{pid: client.pid, rank: 0}]
        : client.topology.ranks.map(({pid, rank}) => ({pid, rank}))
    const rss = pids.map(({pid}) => rssMiB(pid))
    return {results, rss, startup_s: (ready - started) / 1000, topology: client.topology}
  } finally {
    await client.close()
  }
}

const modes = ['single', ...shardings]
const collected = Object.fromEntries(
  modes.map((mode) => [mode, {failed: undefined, results: [], rss: [], startup: []}]),
)
for (let round = 0; round < rounds; round++) {
  // Interleave the modes round by round (alternating the order) so that drift hits them all alike.
  const order = round % 2 === 0 ? modes : [...modes].reverse()
  for (const mode of order) {
    const into = collected[mode]
    if (into.failed !== undefined) continue
    let outcome
    try {
      outcome = await session(mode)
    } catch (error) {
      // A mode that fails is reported (with the runtime's own words) and left out of later rounds.
      into.failed = `${error.type ?? error.name}: ${String(error.message).split('\n')[0]}`
      const log = String(error.message)
        .split('\n')
        .filter((line) => /ERROR|Traceback|Error:/.test(line))
      console.error(
        `round ${round + 1}/${rounds} ${mode}: FAILED ${into.failed}${log.length > 0 ? `\n${log.join('\n')}` : ''}`,
      )
      if (mode === 'single') throw error
      continue
    }

    const {results, rss, startup_s, topology} = outcome
    into.results.push(...results)
    into.rss.push(rss)
    into.startup.push(startup_s)
    const tps = median(results.map((r) => r.tokens_per_s)).toFixed(1)
    const where = topology ? ` (${topology.backend}, ${topology.world_size} ranks)` : ''
    console.error(`round ${round + 1}/${rounds} ${mode}${where}: ${tps} tokens/s median of ${results.length}`)
  }
}

const summary = Object.fromEntries(
  modes.map((mode) => {
    const {failed, results, rss, startup} = collected[mode]
    if (results.length === 0) return [mode, {failed, n: 0}]
    const ranks = rss[0].length
    const peak = Array.from({length: ranks}, (_, rank) => Math.max(...rss.map((list) => list[rank].peak)))
    const now = Array.from({length: ranks}, (_, rank) => Math.max(...rss.map((list) => list[rank].now)))
    return [
      mode,
      {
        failed,
        n: results.length,
        now,
        peak,
        startup: median(startup),
        texts: [...new Set(results.map((r) => r.text))],
        tokens: median(results.map((r) => r.tokens)),
        tps: median(results.map((r) => r.tokens_per_s)),
        ttft: median(results.map((r) => r.ttft_s)) * 1000,
      },
    ]
  }),
)

const label = {pipeline: '2 ranks, pipeline', single: '1 rank (single process)', tensor: '2 ranks, tensor'}
const pad = (text, width) => String(text).padEnd(width)
const padL = (text, width) => String(text).padStart(width)
console.log(
  `\n~${(made.params / 1e6).toFixed(0)}M-parameter random qwen2 (float32), greedy, ${maxTokens} max tokens, ` +
    `${rounds} rounds x ${runs} runs (warm-up excluded), medians; ring backend over loopback`,
)
console.log(
  `${pad('', 26)}${padL('tokens/s', 10)}${padL('TTFT ms', 10)}${padL('tokens', 8)}${padL('runs', 6)}${padL('start+load s', 14)}  RSS per rank, MiB (after runs / peak)`,
)
for (const mode of modes) {
  const s = summary[mode]
  if (s.n === 0) {
    console.log(`${pad(label[mode], 26)}FAILED: ${s.failed}`)
    continue
  }

  console.log(
    `${pad(label[mode], 26)}${padL(s.tps.toFixed(1), 10)}${padL(s.ttft.toFixed(1), 10)}${padL(s.tokens, 8)}${padL(s.n, 6)}` +
      `${padL(s.startup.toFixed(1), 14)}  ${s.now.map((mib, rank) => `${mib.toFixed(0)}/${s.peak[rank].toFixed(0)}`).join('  ')}` +
      (s.failed === undefined ? '' : `  (then failed: ${s.failed})`),
  )
}

/** Where two texts part; undefined when equal. */
function divergence(a, b) {
  if (a === b) return undefined
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return `character ${i} of ${a.length}`
}

console.log('')
const single = summary.single
const reference = single.texts[0]
let identical = single.texts.length === 1
if (!identical)
  console.log(`WARNING: the single process's greedy runs differ among themselves (${single.texts.length} texts)`)
for (const mode of shardings) {
  const s = summary[mode]
  if (s.n === 0) {
    identical = false
    console.log(`2 ranks / 1 rank tokens/s (${mode}): n/a (failed)`)
    continue
  }

  const ttftDelta = s.ttft - single.ttft
  console.log(
    `2 ranks / 1 rank tokens/s (${mode}): ${(s.tps / single.tps).toFixed(2)}×   ` +
      `TTFT ${ttftDelta >= 0 ? '+' : ''}${ttftDelta.toFixed(1)} ms`,
  )
  const same = s.texts.length === 1 && s.texts[0] === reference
  identical &&= same
  console.log(
    same
      ? `  greedy text (${mode}): identical to the single process in all ${s.n} runs`
      : `  greedy text (${mode}): DIFFERS from the single process (${s.texts.length} distinct texts; first differs at ` +
          `${s.texts
            .map((text) => divergence(reference, text))
            .filter(Boolean)
            .join(', ')})`,
  )
}

if (!identical) process.exitCode = 1
