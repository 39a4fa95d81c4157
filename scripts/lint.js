// `npm run lint`: eslint, prettier, the TypeScript type check over sources and tests, and ruff for the runtime.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
let failed = false
const run = (name, cmd, args) => {
  process.stdout.write(`--- ${name}\n`)
  const r = spawnSync(cmd, args, {cwd: root, stdio: 'inherit'})
  if (r.status !== 0) failed = true
}

run('eslint', bin('eslint'), ['.'])
run('prettier', bin('prettier'), ['--check', '--log-level', 'warn', '.'])
run('tsc (sources and tests)', bin('tsc'), ['--noEmit', '-p', 'test/tsconfig.json'])
const plugins = join(root, 'plugins')
if (existsSync(plugins)) {
  for (const name of readdirSync(plugins).sort()) {
    const tsconfig = join(plugins, name, 'tsconfig.json')
    if (existsSync(tsconfig)) run(`tsc (plugins/${name})`, bin('tsc'), ['--noEmit', '-p', tsconfig])
  }
}

const ruff = join(root, 'python-runtime', '.venv', 'bin', 'ruff')
if (existsSync(ruff)) run('ruff', ruff, ['check', 'python-runtime', '--exclude', 'python-runtime/.venv'])
else {
  process.stdout.write('ruff not found: run `bash scripts/setup.sh` first\n')
  failed = true
}

process.exit(failed ? 1 : 0)
