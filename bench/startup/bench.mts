// Start-up benchmark (not a test): wall time and peak RSS of `mlxk --version` and `mlxk list --json` against
// `hf version` and `hf cache ls --format json` on the same generated caches (100 and 1,000 models).
// Targets: --version <= 1.0x hf, listing <= 0.5x hf, peak RSS < 100 MB, list time linear in the model count.
//   scripts/with-node24.sh npx tsx bench/startup/bench.mts [--runs 15] [--models 100,1000]
// Needs a built CLI (node scripts/build.js) and `hf` in bench/.venv-hf:
//   python3 -m venv bench/.venv-hf && bench/.venv-hf/bin/pip install huggingface_hub
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {buildCache, mlxChatModelFiles} from '../../test/helpers/fixture-cache.js'

const ROOT = new URL('../..', import.meta.url).pathname
const {values} = parseArgs({options: {models: {default: '100,1000', type: 'string'}, runs: {default: '15', type: 'string'}}})
const runs = Number(values.runs)
const sizes = values.models.split(',').map(Number)
const hf = join(ROOT, 'bench', '.venv-hf', 'bin', 'hf')
if (!existsSync(hf)) throw new Error(`${hf} is missing: python3 -m venv bench/.venv-hf && bench/.venv-hf/bin/pip install huggingface_hub`)

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

// GNU time reports peak RSS in KiB (-f %M); BSD time on macOS in bytes (-l). Without either, RSS is not measured.
const gnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], {encoding: 'utf8'}).status === 0
const bsdTime = !gnuTime && spawnSync('/usr/bin/time', ['-l', 'true'], {encoding: 'utf8'}).status === 0

interface Sample {
  ms: number
  rssMb: number
}

function once(cmd: string[], env: Record<string, string>): Sample & {stdout: string} {
  const wrapped = gnuTime ? ['/usr/bin/time', '-f', '%M', ...cmd] : bsdTime ? ['/usr/bin/time', '-l', ...cmd] : cmd
  const start = performance.now()
  const r = spawnSync(wrapped[0]!, wrapped.slice(1), {encoding: 'utf8', env, maxBuffer: 256 << 20})
  const ms = performance.now() - start
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`)
  let rssMb = Number.NaN
  if (gnuTime) rssMb = Number(r.stderr.trim().split('\n').at(-1)) / 1024
  if (bsdTime) rssMb = Number(/(\d+)\s+maximum resident set size/.exec(r.stderr)?.[1]) / 1024 / 1024
  return {ms, rssMb, stdout: r.stdout}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * mlxk and hf alternate run by run, after two warm-up runs each (disk cache, Python byte code), so a busy
 * machine slows both alike and the ratio stays meaningful even when the absolute times drift.
 */
function measurePair(
  a: {check?: (stdout: string) => void; cmd: string[]},
  b: {check?: (stdout: string) => void; cmd: string[]},
  env: Record<string, string>,
): [Sample, Sample] {
  for (let i = 0; i < 2; i++) for (const {check, cmd} of [a, b]) check?.(once(cmd, env).stdout)
  const samples: [Sample[], Sample[]] = [[], []]
  for (let i = 0; i < runs; i++) {
    samples[0].push(once(a.cmd, env))
    samples[1].push(once(b.cmd, env))
  }

  const summary = (xs: Sample[]) => ({ms: median(xs.map((s) => s.ms)), rssMb: Math.max(...xs.map((s) => s.rssMb))})
  return [summary(samples[0]), summary(samples[1])]
}

const mlxk = (...args: string[]) => [process.execPath, join(ROOT, 'bin', 'run.js'), ...args]
const expectCount = (n: number, read: (json: unknown) => number) => (stdout: string) => {
  const got = read(JSON.parse(stdout))
  if (got !== n) throw new Error(`expected ${n} models, got ${got}`)
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
const hfVersion = /version:\s*(\S+)/.exec(spawnSync(hf, ['version'], {encoding: 'utf8', env: baseEnv}).stdout)?.[1]
console.log(
  `mlxk ${pkg.version} on Node ${process.versions.node}; hf ${hfVersion}; ${cpus().length} CPUs; ${runs} runs each (alternating), median wall time, max peak RSS`,
)
const rows: [string, Sample][] = []
const [mlxkVersion, hfVersionSample] = measurePair({cmd: mlxk('--version')}, {cmd: [hf, 'version']}, baseEnv)
const version = {hf: hfVersionSample, mlxk: mlxkVersion}
rows.push(['mlxk --version', version.mlxk], ['hf version', version.hf])

const lists: Record<number, {hf: Sample; mlxk: Sample}> = {}
for (const n of sizes) {
  const hub = await buildCache(
    join(work, `hub-${n}`),
    Array.from({length: n}, (_, i) => ({repoId: `bench-org/model-${String(i).padStart(5, '0')}`, revisions: [{files: mlxChatModelFiles()}]})),
  )
  const env = {...baseEnv, HF_HUB_CACHE: hub}
  const [mlxkList, hfList] = measurePair(
    {check: expectCount(n, (j) => (j as {data: {count: number}}).data.count), cmd: mlxk('list', '--json')},
    {check: expectCount(n, (j) => (j as unknown[]).length), cmd: [hf, 'cache', 'ls', '--format', 'json']},
    env,
  )
  lists[n] = {hf: hfList, mlxk: mlxkList}
  rows.push([`mlxk list --json (${n} models)`, lists[n].mlxk], [`hf cache ls --format json (${n})`, lists[n].hf])
}

const fmt = (s: Sample) => `${s.ms.toFixed(1).padStart(8)} ms  ${Number.isNaN(s.rssMb) ? '    n/a' : s.rssMb.toFixed(1).padStart(6) + ' MB'}`
for (const [name, sample] of rows) console.log(`${name.padEnd(38)} ${fmt(sample)}`)
console.log('')
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED')
const vRatio = version.mlxk.ms / version.hf.ms
console.log(`--version ratio mlxk/hf: ${vRatio.toFixed(2)}x (target <= 1.0: ${verdict(vRatio <= 1)})`)
for (const n of sizes) {
  const ratio = lists[n]!.mlxk.ms / lists[n]!.hf.ms
  console.log(`list ratio mlxk/hf at ${n} models: ${ratio.toFixed(2)}x (target <= 0.5: ${verdict(ratio <= 0.5)})`)
}

const peak = Math.max(...rows.filter(([name]) => name.startsWith('mlxk')).map(([, s]) => s.rssMb))
console.log(`mlxk peak RSS: ${peak.toFixed(1)} MB (target < 100: ${verdict(peak < 100)})`)
if (sizes.length >= 2) {
  // Linear means the part of the listing that depends on the cache grows with the model count, no faster. The
  // fixed start-up cost (the --version time) is taken out first, or it would hide a quadratic term.
  const [small, large] = [Math.min(...sizes), Math.max(...sizes)]
  const perModel = (n: number) => (lists[n]!.mlxk.ms - version.mlxk.ms) / n
  const growth = perModel(large) / perModel(small)
  console.log(
    `list cost per model: ${perModel(small).toFixed(3)} ms at ${small}, ${perModel(large).toFixed(3)} ms at ${large} ` +
      `(ratio ${growth.toFixed(2)}; linear if <= 1.5: ${verdict(growth <= 1.5)})`,
  )
}
