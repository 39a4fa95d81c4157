import type {Logger} from '../log.js'

import {OutputTail} from './output-tail.js'

/** How the worker process ended. `spawnError` is set when it never ran (e.g. the interpreter is not executable). */
export interface WorkerExit {
  exitCode: null | number
  signal: null | string
  spawnError?: string
}

export interface SpawnWorkerOptions {
  args: readonly string[]
  env: Record<string, string | undefined>
  logger?: Logger | undefined
  python: string
}

/** The worker as an OS process: its pid, how it exited, and the tail of what it printed. */
export class WorkerProcess {
  exit: undefined | WorkerExit
  readonly exited: Promise<WorkerExit>
  readonly output = new OutputTail()
  readonly pid: number | undefined

  private constructor(pid: number | undefined, exited: Promise<WorkerExit>) {
    this.pid = pid
    this.exited = exited.then((exit) => {
      this.exit = exit
      return exit
    })
  }

  static async spawn(options: SpawnWorkerOptions): Promise<WorkerProcess> {
    // execa loads with the first worker, not with the SDK: importing `mlxk/sdk/runtime` for its flags stays cheap.
    const {execa} = await import('execa')
    const subprocess = execa(options.python, [...options.args], {
      buffer: false,
      // Our own SIGINT/SIGTERM handling closes workers through the protocol; execa's signal-exit hook would
      // SIGTERM them first and, by listening, change whether a re-raised signal kills us.
      cleanup: false,
      // Its own process group: a terminal's Ctrl-C reaches only the CLI, which then shuts the worker down
      // cleanly; the socket EOF (and the worker's parent-pid poll) still end it if the CLI dies.
      detached: true,
      env: options.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      stderr: 'pipe',
      stdout: 'pipe',
    })
    const exited = subprocess.then((result) => {
      const exit: WorkerExit = {exitCode: result.exitCode ?? null, signal: result.signal ?? null}
      if (result.failed && result.exitCode === undefined && result.signal === undefined) {
        exit.spawnError = result.originalMessage ?? result.shortMessage ?? 'failed to start'
      }

      return exit
    })
    const worker = new WorkerProcess(subprocess.pid, exited)
    for (const stream of [subprocess.stdout, subprocess.stderr]) {
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        worker.output.push(chunk)
        options.logger?.debug('runtime worker output', {text: chunk.trimEnd()})
      })
    }

    return worker
  }

  get running(): boolean {
    return this.exit === undefined && this.pid !== undefined
  }

  /** Kills the worker's whole process group, so nothing it started outlives it. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.running || this.pid === undefined) return
    try {
      process.kill(-this.pid, signal)
    } catch {
      try {
        process.kill(this.pid, signal)
      } catch {
        // Already gone between the check and the kill.
      }
    }
  }
}

/** "exit code 1", "signal SIGKILL" or the spawn error, for messages. */
export function describeExit(exit: undefined | WorkerExit): string {
  if (exit === undefined) return 'still running'
  if (exit.spawnError !== undefined) return exit.spawnError
  if (exit.signal !== null) return `signal ${exit.signal}`
  return `exit code ${exit.exitCode ?? 'unknown'}`
}
