import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {BIN, ROOT} from './run-cli.js'

// A module hook that records every file Node loads (ESM and require alike) and writes the list at exit.
const TRACER = `
import {registerHooks} from 'node:module'
import {writeFileSync} from 'node:fs'
const seen = new Set()
registerHooks({load(url, context, next) { seen.add(url); return next(url, context) }})
process.on('exit', () => writeFileSync(process.env.MLXK_TRACE_OUT, [...seen].join('\\n')))
`

export interface TracedRun {
  exitCode: null | number
  /** Absolute paths of the files the CLI loaded, in load order. */
  loaded: string[]
  stderr: string
  stdout: string
}

let dir: string | undefined
let runs = 0

/**
 * The tracer's file, and the environment that makes a Node process started anyhow (a shell launcher included) load
 * it and write its list to `out`, whose paths `readTrace` then returns.
 */
export function tracer(): {env: (out: string) => Record<string, string>; file: string; out: () => string} {
  dir ??= mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'trace-'))
  const file = join(dir, 'trace.mjs')
  writeFileSync(file, TRACER)
  const traceDir = dir
  return {
    env: (out) => ({MLXK_TRACE_OUT: out, NODE_OPTIONS: `--import=${file}`}),
    file,
    out: () => join(traceDir, `trace-${runs++}.txt`),
  }
}

export function readTrace(out: string): string[] {
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url))
}

/** Runs the built CLI like a user does, under a tracer, with stdin empty and not a terminal. */
export function tracedRun(args: string[], env: Record<string, string | undefined> = {}): TracedRun {
  const {file, out: next} = tracer()
  const out = next()
  const r = spawnSync(process.execPath, ['--import', file, BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {...process.env, ...env, MLXK_TRACE_OUT: out},
    input: '',
  })
  return {exitCode: r.status, loaded: readTrace(out), stderr: r.stderr, stdout: r.stdout}
}

/** True when the call ran through oclif's own start-up (Config.load reads the plugins), not the fast path. */
export function ranOclif(run: TracedRun): boolean {
  return run.loaded.some((p) => /\/node_modules\/@oclif\/core\/lib\/config\//.test(p))
}
