// Start-up benchmark (not a test): mlxk against Python mlx-knife 2.0.1 on the calls scripts make most, on the
// same generated caches, in one run. Prints median wall and CPU time, the ratios, and peak RSS.
// Targets (issue 22): --version <= 0.75x mlx-knife; list --json <= 0.75x on an empty cache and <= 0.2x on 100
// models; health --json <= 0.5x on 1,000 models; peak RSS <= 60 MB for each.
// The ratios are medians of run-by-run ratios (the two commands alternate).
//   scripts/with-node24.sh npx tsx bench/startup/bench.mts [--runs 15] [--only health]
// Needs a built CLI (npm run build) and mlx-knife 2.0.1 in its own venv:
//   python3 -m venv bench/.venv-mlxk201 && bench/.venv-mlxk201/bin/pip install "mlx[cpu]" mlx-knife==2.0.1
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {buildCache, mlxChatModelFiles} from '../../test/helpers/fixture-cache.js'

const ROOT = new URL('../..', import.meta.url).pathname
const {values} = parseArgs({options: {only: {type: 'string'}, runs: {default: '15', type: 'string'}}})
const runs = Number(values.runs)
const PEER = join(ROOT, 'bench', '.venv-mlxk201', 'bin', 'mlxk')
if (!existsSync(PEER)) {
  throw new Error(
    `${PEER} is missing: python3 -m venv bench/.venv-mlxk201 && bench/.venv-mlxk201/bin/pip install "mlx[cpu]" mlx-knife==2.0.1`,
  )
}

const work = mkdtempSync(join(tmpdir(), 'mlxk-bench-startup-'))
process.on('exit', () => rmSync(work, {force: true, recursive: true}))
const baseEnv = {
  HF_HUB_DISABLE_TELEMETRY: '1',
  HF_HUB_OFFLINE: '1',
  HOME: join(work, 'home'),
  PATH: process.env.PATH ?? '',
  XDG_CACHE_HOME: join(work, 'xdg-cache'),
  XDG_CONFIG_HOME: join(work, 'xdg-config'),
  XDG_DATA_HOME: join(work, 'xdg-data'),
}

interface Sample {
  cpuMs: number
  ms: number
  rssMb: number
}

// A small Python harness times one child: wall clock around it, and the kernel's rusage of that child (wait4) for
// CPU (microseconds, where time(1) prints hundredths) and peak RSS. posix_spawn, not fork: a forked copy of the
// harness would add its own page faults to the child's CPU time before exec.
const HARNESS = `
import os, sys, tempfile, time
err = tempfile.TemporaryFile()
r, w = os.pipe()
t = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
    file_actions=[(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2), (os.POSIX_SPAWN_CLOSE, r)])
os.close(w)
chunks = []
while chunk := os.read(r, 1 << 16):
    chunks.append(chunk)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t
sys.stdout.buffer.write(b"".join(chunks))
err.seek(0)
sys.stderr.buffer.write(err.read())
code = os.waitstatus_to_exitcode(status)
sys.stderr.write("\\nBENCH %d %f %f %d\\n" % (code, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
`

function once(cmd: string[], env: Record<string, string>): Sample & {stdout: string} {
  const r = spawnSync('python3', ['-c', HARNESS, ...cmd], {encoding: 'utf8', env, maxBuffer: 256 << 20})
  const m = /BENCH (-?\d+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr)
  if (!m || m[1] !== '0') throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`)
  // ru_maxrss is KiB on Linux, bytes on macOS.
  const rssMb = Number(m[4]) / (process.platform === 'darwin' ? 1 << 20 : 1024)
  return {cpuMs: Number(m[3]) * 1000, ms: Number(m[2]) * 1000, rssMb, stdout: r.stdout}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

interface Pair {
  mlxk: Sample
  peer: Sample
  /** Medians of the run-by-run ratios mlxk/mlx-knife. */
  ratio: {cpu: number; wall: number}
}

/**
 * mlxk and mlx-knife alternate run by run, after two warm-up runs each (disk cache, byte code, Node's compile
 * cache), and the ratio is taken pair by pair: a busy machine slows both runs of a pair alike, so the median of
 * the pairs' ratios holds still even when absolute times drift.
 */
function measurePair(args: string[], env: Record<string, string>, check: (stdout: string) => void): Pair {
  const cmds = [[join(ROOT, 'bin', 'run.js'), ...args], [PEER, ...args]]
  for (let i = 0; i < 2; i++) for (const cmd of cmds) check(once(cmd, env).stdout)
  const samples: [Sample[], Sample[]] = [[], []]
  for (let i = 0; i < runs; i++) for (const [k, cmd] of cmds.entries()) samples[k as 0 | 1].push(once(cmd, env))
  const summary = (xs: Sample[]) => ({
    cpuMs: median(xs.map((s) => s.cpuMs)),
    ms: median(xs.map((s) => s.ms)),
    rssMb: Math.max(...xs.map((s) => s.rssMb)),
  })
  const paired = (key: 'cpuMs' | 'ms') => median(samples[0].map((s, i) => s[key] / samples[1][i]![key]))
  return {mlxk: summary(samples[0]), peer: summary(samples[1]), ratio: {cpu: paired('cpuMs'), wall: paired('ms')}}
}

/** HF_HOME with `hub/` holding n models: mlx-knife reads HF_HOME, mlxk does as huggingface_hub does. */
async function home(n: number): Promise<Record<string, string>> {
  const dir = join(work, `hf-home-${n}`)
  mkdirSync(join(dir, 'hub'), {recursive: true})
  const models = Array.from({length: n}, (_, i) => ({
    repoId: `bench-org/model-${String(i).padStart(5, '0')}`,
    revisions: [{files: mlxChatModelFiles()}],
  }))
  await buildCache(join(dir, 'hub'), models)
  return {...baseEnv, HF_HOME: dir}
}

const count = (n: number, read: (data: Record<string, never>) => number) => (stdout: string) => {
  const got = read(JSON.parse(stdout).data)
  if (got !== n) throw new Error(`expected ${n} models, got ${got}`)
}

const CASES = [
  {args: ['--version'], check: () => {}, models: 0, name: '--version', target: 0.75},
  {args: ['list', '--json'], check: count(0, (d) => d.count), models: 0, name: 'list --json, empty cache', target: 0.75},
  {args: ['list', '--json'], check: count(100, (d) => d.count), models: 100, name: 'list --json, 100 models', target: 0.2},
  {
    args: ['health', '--json'],
    check: count(1000, (d) => (d as {summary: {total: number}}).summary.total),
    models: 1000,
    name: 'health --json, 1,000 models',
    target: 0.5,
  },
]

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
const peerVersion = spawnSync(PEER, ['--version'], {encoding: 'utf8', env: baseEnv}).stdout.trim()
console.log(
  `mlxk ${pkg.version} on Node ${process.versions.node} vs ${peerVersion}; ${cpus().length} CPUs; ${runs} runs each ` +
    '(alternating): median wall and CPU time, max peak RSS',
)
const homes = new Map<number, Record<string, string>>()
const fmt = (s: Sample) =>
  `${s.ms.toFixed(1).padStart(7)} ms ${s.cpuMs.toFixed(1).padStart(7)} ms cpu ${s.rssMb.toFixed(1).padStart(6)} MB`
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED')
let peak = 0
for (const c of CASES.filter((c) => !values.only || c.name.includes(values.only))) {
  if (!homes.has(c.models)) homes.set(c.models, await home(c.models))
  const {mlxk, peer, ratio} = measurePair(c.args, homes.get(c.models)!, c.check)
  peak = Math.max(peak, mlxk.rssMb)
  console.log(`${c.name.padEnd(28)} mlxk ${fmt(mlxk)} | mlx-knife ${fmt(peer)}`)
  console.log(
    `${''.padEnd(28)} ratio ${ratio.wall.toFixed(2)}x wall, ${ratio.cpu.toFixed(2)}x cpu ` +
      `(target <= ${c.target}: ${verdict(ratio.wall <= c.target)}); RSS ${verdict(mlxk.rssMb <= 60)}`,
  )
}

console.log(`mlxk peak RSS: ${peak.toFixed(1)} MB (target <= 60: ${verdict(peak <= 60)})`)
