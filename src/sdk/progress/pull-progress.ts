import {formatSize} from '../render/format.js'
import type {PullEvent} from '../services/pull.js'
import {progressLine, RateMeter} from './rate.js'
import {type StderrRow, stderrRowRunner} from './stderr-rows.js'

export interface PullProgress {
  onEvent(event: PullEvent): void
  /** Ends the display; `ok` false marks unfinished rows failed. */
  stop(ok: boolean): Promise<void>
}

interface Row extends StderrRow {
  complete?: boolean
  done: number
  meter: RateMeter
  size: number
}

const NOOP: PullProgress = {onEvent() {}, stop: async () => {}}

/**
 * Listr2 rows on stderr: one per file being fetched (bytes, speed, ETA) and a total. Nothing at all when `--json`
 * is set or stderr is not a terminal, so stdout carries only the command's result and logs stay clean.
 */
export async function createPullProgress(options: {enabled: boolean}): Promise<PullProgress> {
  if (!options.enabled) return NOOP
  const runRows = await stderrRowRunner()
  const rows = new Map<string, Row>()
  const total: Row = {done: 0, label: 'Total', meter: new RateMeter(), size: 0}
  let running: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | null = null

  const refresh = () => {
    for (const row of [...rows.values(), total]) {
      row.setTitle?.(
        row.complete
          ? `${row.label}  ${formatSize(row.size)}`
          : `${row.label}  ${progressLine(row.done, row.size, row.meter.rate())}`,
      )
    }
  }

  const start = (event: Extract<PullEvent, {type: 'plan'}>) => {
    for (const file of event.files) {
      total.size += file.size
      total.done += file.reusedBytes
      if (file.reusedBytes < file.size)
        rows.set(file.path, {done: file.reusedBytes, label: file.path, meter: new RateMeter(), size: file.size})
    }

    running = runRows([...rows.values(), total], (row) => `${row.label}  ${progressLine(row.done, row.size, 0)}`)
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
        rows.get(event.path)?.setTitle?.(`${event.path}  waiting for another download of this file`)
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
