import {formatSize} from '../render/format.js'
import type {PullEvent} from '../services/pull.js'
import {progressLine, RateMeter} from './rate.js'

export interface PullProgress {
  onEvent(event: PullEvent): void
  /** Ends the display; `ok` false marks unfinished rows failed. */
  stop(ok: boolean): Promise<void>
}

interface Row {
  complete?: boolean
  done: number
  finish?: (error?: Error) => void
  meter: RateMeter
  path: string
  size: number
  title?: (text: string) => void
}

const NOOP: PullProgress = {onEvent() {}, stop: async () => {}}

/**
 * Listr2 rows on stderr: one per file being fetched (bytes, speed, ETA) and a total. Nothing at all when `--json`
 * is set or stderr is not a terminal, so stdout carries only the command's result and logs stay clean.
 */
export async function createPullProgress(options: {enabled: boolean}): Promise<PullProgress> {
  if (!options.enabled) return NOOP
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const rows = new Map<string, Row>()
  const total: Row = {done: 0, meter: new RateMeter(), path: 'Total', size: 0}
  let listr: {run(): Promise<unknown>} | null = null
  let running: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | null = null

  const refresh = () => {
    for (const row of [...rows.values(), total]) {
      row.title?.(
        row.complete
          ? `${row.path}  ${formatSize(row.size)}`
          : `${row.path}  ${progressLine(row.done, row.size, row.meter.rate())}`,
      )
    }
  }

  const start = (event: Extract<PullEvent, {type: 'plan'}>) => {
    const logger = new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})
    for (const file of event.files) {
      total.size += file.size
      total.done += file.reusedBytes
      if (file.reusedBytes < file.size)
        rows.set(file.path, {done: file.reusedBytes, meter: new RateMeter(), path: file.path, size: file.size})
    }

    const task = (row: Row) => ({
      task: (_ctx: unknown, wrapper: {title: string}) =>
        new Promise<void>((resolve, reject) => {
          row.title = (text) => (wrapper.title = text)
          row.finish = (error) => (error ? reject(error) : resolve())
          row.title(`${row.path}  ${progressLine(row.done, row.size, 0)}`)
        }),
      title: row.path,
    })
    listr = new Listr([...[...rows.values()].map(task), task(total)], {
      concurrent: true,
      exitOnError: false,
      fallbackRendererOptions: {logger},
      registerSignalListeners: false,
      rendererOptions: {collapseErrors: true, logger},
    })
    running = listr.run().catch(() => {})
    timer = setInterval(refresh, 200)
  }

  return {
    onEvent(event) {
      if (event.type === 'plan') start(event)
      else if (event.type === 'bytes') {
        const row = rows.get(event.path)
        if (row) {
          row.done += event.bytes
          row.meter.add(event.bytes)
        }

        total.done += event.bytes
        total.meter.add(event.bytes)
      } else if (event.type === 'file_done') {
        const row = rows.get(event.path)
        if (row) {
          row.done = row.size
          row.complete = true
          refresh()
          row.finish?.()
        }
      } else if (event.type === 'waiting_for_lock')
        rows.get(event.path)?.title?.(`${event.path}  waiting for another download of this file`)
    },
    async stop(ok) {
      if (timer) clearInterval(timer)
      refresh()
      for (const row of rows.values()) row.finish?.(ok ? undefined : new Error('not finished'))
      total.finish?.(ok ? undefined : new Error('not finished'))
      await running
    },
  }
}
