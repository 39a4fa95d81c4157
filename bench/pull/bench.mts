// Pull benchmark (not a test): `mlxk pull` vs `hf download` from the same local test hub, into separate fresh
// caches, alternating which goes first. Prints median wall time, the ratio, and peak RSS of each.
// Target: mlxk >= 1.5x faster than hf download, peak RSS < 150 MB.
//   scripts/with-node24.sh npx tsx bench/pull/bench.mts [--runs 3] [--big-mb 200] [--throttle-mbps 20] [--latency-ms 30]
// Needs a built CLI (node scripts/build.js) and `hf` from bench/.venv-hf (pip install huggingface_hub), else the
// runtime venv's.
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {startTestHub, type TestHubOptions} from '../../test/hub/hub-server.js'
import {buildRepo, type FileSource} from '../../test/hub/repo-fixture.js'

const ROOT = new URL('../..', import.meta.url).pathname
const {values} = parseArgs({
  options: {
    'big-mb': {default: '200', type: 'string'},
    'latency-ms': {default: '30', type: 'string'},
    runs: {default: '3', type: 'string'},
    'throttle-mbps': {default: '20', type: 'string'},
  },
})
const runs = Number(values.runs)
const HF = [join(ROOT, 'bench', '.venv-hf', 'bin', 'hf'), join(ROOT, 'python-runtime', '.venv', 'bin', 'hf')].find((p) => existsSync(p))
if (!HF) throw new Error('no hf CLI: python3 -m venv bench/.venv-hf && bench/.venv-hf/bin/pip install huggingface_hub')

async function makeRepo(dir: string) {
  const files: Record<string, FileSource> = {
    'README.md': '# bench model\n',
    'config.json': JSON.stringify({model_type: 'llama', num_hidden_layers: 2}),
    'tokenizer.json': JSON.stringify({vocab: Object.fromEntries(Array.from({length: 20_000}, (_, i) => [`tok${i}`, i]))}),
    'tokenizer_config.json': '{}',
    'model.safetensors.index.json': '{"weight_map": {}}',
  }
  const sizes = [Number(values['big-mb']), Number(values['big-mb']), Number(values['big-mb']), 50].map((mb) => mb * 1_000_000)
  for (const [i, size] of sizes.entries()) {
    const path = join(dir, `model-0000${i + 1}-of-0000${sizes.length}.safetensors`)
    const chunks: Buffer[] = []
    for (let left = size; left > 0; left -= 1 << 24) chunks.push(randomBytes(Math.min(left, 1 << 24)))
    await writeFile(path, Buffer.concat(chunks))
    files[`model-0000${i + 1}-of-0000${sizes.length}.safetensors`] = {disk: path}
  }

  return buildRepo({commits: [{files}], id: 'bench-org/bench-model'})
}

/** Wall seconds and peak RSS (MB) of one command, measured by GNU time. */
function timed(cmd: string, args: string[], env: Record<string, string>): Promise<{rssMb: number; seconds: number}> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/time', ['-f', 'MLXKBENCH %e %M', cmd, ...args], {env: {...process.env, ...env}, maxBuffer: 1 << 26}, (error, _stdout, stderr) => {
      const match = /MLXKBENCH ([\d.]+) (\d+)/.exec(stderr)
      if (error || !match) return reject(new Error(`${cmd} failed: ${error?.message}\n${stderr.slice(-2000)}`))
      resolve({rssMb: Number(match[2]) / 1024, seconds: Number(match[1])})
    })
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function scenario(name: string, repo: Awaited<ReturnType<typeof makeRepo>>, shaping: Partial<TestHubOptions>) {
  const hub = await startTestHub({repos: [repo], ...shaping})
  const results = {hf: [] as Array<{rssMb: number; seconds: number}>, mlxk: [] as Array<{rssMb: number; seconds: number}>}
  const tools = {
    hf: (cache: string) =>
      timed(HF as string, ['download', repo.id], {
        HF_ENDPOINT: hub.url,
        HF_HUB_CACHE: cache,
        HF_HUB_DISABLE_PROGRESS_BARS: '1',
        HF_HUB_DISABLE_TELEMETRY: '1',
        HF_HUB_DISABLE_XET: '1',
      }),
    // Started as a user starts it, through the launcher's shebang (with its V8 flags).
    mlxk: (cache: string) => timed(join(ROOT, 'bin', 'run.js'), ['pull', repo.id, '--json'], {HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache}),
  }
  for (let run = 0; run < runs; run++) {
    const order: Array<'hf' | 'mlxk'> = run % 2 === 0 ? ['mlxk', 'hf'] : ['hf', 'mlxk']
    for (const tool of order) {
      const cache = await mkdtemp(join(tmpdir(), `mlxk-bench-${tool}-`))
      results[tool].push(await tools[tool](cache))
      await rm(cache, {force: true, recursive: true})
    }
  }

  await hub.close()
  const hf = median(results.hf.map((r) => r.seconds))
  const mlxk = median(results.mlxk.map((r) => r.seconds))
  console.log(
    `${name.padEnd(34)} hf download ${hf.toFixed(2)}s  mlxk pull ${mlxk.toFixed(2)}s  speed-up ${(hf / mlxk).toFixed(2)}x  ` +
      `peak RSS hf ${Math.max(...results.hf.map((r) => r.rssMb)).toFixed(0)} MB, mlxk ${Math.max(...results.mlxk.map((r) => r.rssMb)).toFixed(0)} MB`,
  )
}

const dir = await mkdtemp(join(tmpdir(), 'mlxk-bench-repo-'))
try {
  const repo = await makeRepo(dir)
  const total = [...[...repo.commits.values()][0]!.files.values()].reduce((s, f) => s + f.size, 0)
  console.log(`repo: ${(total / 1e6).toFixed(0)} MB in ${[...repo.commits.values()][0]!.files.size} files; ${runs} runs each, alternating; peer ${HF}`)
  const mbps = Number(values['throttle-mbps'])
  await scenario(`shaped (${mbps} MB/s/conn, ${values['latency-ms']} ms)`, repo, {latencyMs: Number(values['latency-ms']), throttleBytesPerSecond: mbps * 1_000_000})
  await scenario('unshaped (loopback)', repo, {})
} finally {
  await rm(dir, {force: true, recursive: true})
}
