// The README's test command: lint, build, manifest drift check, every default mocha suite (unit, spec,
// integration; the opt-in live suites run only with `npm run test:live`) and the Python runtime's pytest.
// It prints the slowest tests, then ends with one line "N passed, N failed, N skipped" that sums every suite, so a
// run that executed nothing can never look green. That line is always the last one.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const totals = {failed: 0, passed: 0, skipped: 0}
const problems = []
/** {title, ms} of the slowest tests of every suite; the 10 slowest overall are printed at the end. */
const slowest = []
const stats = mkdtempSync(join(tmpdir(), 'mlxk-test-stats-'))

function step(name, cmd, args, options = {}) {
  process.stdout.write(`\n=== ${name} ===\n`)
  const result = spawnSync(cmd, args, {cwd: root, stdio: 'inherit', ...options})
  if (result.status !== 0) problems.push(`${name} (exit ${result.status ?? result.signal})`)
  return result.status === 0
}

function manifests() {
  const files = ['oclif.manifest.json']
  const plugins = join(root, 'plugins')
  if (existsSync(plugins)) {
    for (const name of readdirSafe(plugins)) files.push(join('plugins', name, 'oclif.manifest.json'))
  }

  return Object.fromEntries(
    files.map((f) => [f, existsSync(join(root, f)) ? readFileSync(join(root, f), 'utf8') : null]),
  )
}

function readdirSafe(dir) {
  try {
    return spawnSync('ls', [dir], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean)
  } catch {
    return []
  }
}

const committed = manifests()
const lintOk = step('lint', process.execPath, [join(root, 'scripts', 'lint.js')])
const buildOk = step('build', process.execPath, [join(root, 'scripts', 'build.js')])
if (buildOk) {
  const fresh = manifests()
  for (const [file, before] of Object.entries(committed)) {
    if (before !== fresh[file]) {
      problems.push(`${file} differs from a fresh build: run \`npm run build\` and commit it`)
      totals.failed += 1
    }
  }
}

// spec (schemas, docs examples, spec version) is offline and fast, so it belongs to the default run.
for (const suite of ['unit', 'spec', 'integration']) {
  const file = join(stats, `${suite}.json`)
  step(
    `mocha ${suite}`,
    bin('mocha'),
    [`test/${suite}/**/*.test.ts`, '--reporter', join(root, 'test/helpers/count-reporter.cjs')],
    {
      env: {...process.env, MLXK_MOCHA_STATS: file},
    },
  )
  addMocha(file, suite)
}

const python = process.env.MLXK_PYTHON || join(root, 'python-runtime', '.venv', 'bin', 'python')
if (existsSync(join(root, 'python-runtime', 'tests'))) {
  const junit = join(stats, 'pytest.xml')
  step('pytest', python, ['-m', 'pytest', '-q', join(root, 'python-runtime', 'tests'), `--junit-xml=${junit}`])
  addJunit(junit)
}

// The committed test models are rebuilt from scratch and must still behave as expected.json says (not bytes).
if (step('test models rebuild --check', 'bash', [join(root, 'scripts', 'build-test-models.sh'), '--check']))
  totals.passed += 1
else totals.failed += 1

if (!lintOk) totals.failed += 1
printSlowest()
if (problems.length > 0) process.stdout.write(`\nProblems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`)
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`)
process.exit(problems.length === 0 && totals.failed === 0 && totals.passed > 0 ? 0 : 1)

function addMocha(file, suite) {
  if (!existsSync(file)) {
    totals.failed += 1
    problems.push(`mocha ${suite} wrote no results`)
    return
  }

  const s = JSON.parse(readFileSync(file, 'utf8'))
  for (const t of s.slowest ?? []) slowest.push({ms: t.ms, title: `[${suite}] ${t.title}`})
  totals.passed += s.passed
  totals.failed += s.failed
  totals.skipped += s.skipped
}

function addJunit(file) {
  if (!existsSync(file)) {
    totals.failed += 1
    problems.push('pytest wrote no results')
    return
  }

  const xml = readFileSync(file, 'utf8')
  for (const m of xml.matchAll(/<testcase\b[^>]*\bclassname="([^"]*)"[^>]*\bname="([^"]*)"[^>]*\btime="([\d.]+)"/g)) {
    slowest.push({ms: Math.round(Number(m[3]) * 1000), title: `[pytest] ${m[1]}::${m[2]}`})
  }

  const suite = /<testsuite\b[^>]*>/.exec(xml)?.[0] ?? ''
  const num = (name) => Number(new RegExp(`${name}="(\\d+)"`).exec(suite)?.[1] ?? 0)
  const failed = num('failures') + num('errors')
  const skipped = num('skipped')
  totals.failed += failed
  totals.skipped += skipped
  totals.passed += num('tests') - failed - skipped
}

function printSlowest() {
  if (slowest.length === 0) return
  const top = slowest.sort((a, b) => b.ms - a.ms).slice(0, 10)
  const lines = top.map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(6)}s  ${t.title}`)
  process.stdout.write(`\nSlowest tests:\n${lines.join('\n')}\n`)
}
