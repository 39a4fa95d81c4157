import {progressLine, RateMeter, type StderrRow, stderrRowRunner} from 'mlxk/sdk/progress'
import {formatSize} from 'mlxk/sdk/render'
import type {PushEvent} from 'mlxk/sdk/push'

export interface PushProgress {
  onEvent(event: PushEvent): void
  stop(ok: boolean): Promise<void>
}

interface Row extends StderrRow {
  done: number
  meter: RateMeter
  total: number | null
}

const NOOP: PushProgress = {onEvent() {}, stop: async () => {}}

/**
 * Listr2 rows on stderr for the two slow parts of a push: hashing (to find what changed; again by the Hub client
 * for LFS objects) and uploading, with bytes and speed. Nothing at all with --json or when stderr is not a
 * terminal, so stdout carries only the result.
 */
export async function createPushProgress(options: {enabled: boolean}): Promise<PushProgress> {
  if (!options.enabled) return NOOP
  const runRows = await stderrRowRunner()
  let rows: Row[] = []
  let running: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | null = null
  let hashing: null | Row = null
  let uploading: null | Row = null

  const title = (row: Row): string =>
    row.total === null
      ? `${row.label}  ${formatSize(row.done)}  ${formatSize(row.meter.rate())}/s`
      : `${row.label}  ${progressLine(row.done, row.total, row.meter.rate())}`
  const refresh = () => {
    for (const row of rows) row.setTitle?.(title(row))
  }

  const endStage = async (ok: boolean) => {
    if (timer) clearInterval(timer)
    timer = null
    refresh()
    for (const row of rows) row.finish?.(ok ? undefined : new Error('not finished'))
    await running
    rows = []
  }

  const startStage = (stage: Row[]) => {
    rows = stage
    running = runRows(stage, title)
    timer = setInterval(refresh, 200)
  }

  const row = (label: string, total: null | number): Row => ({done: 0, label, meter: new RateMeter(), total})
  let queue: Promise<void> = Promise.resolve()
  const later = (step: () => Promise<void> | void) => {
    queue = queue.then(step, step)
  }

  return {
    onEvent(event) {
      if (event.type === 'hash_plan') {
        hashing = row(`Comparing ${event.files} file${event.files === 1 ? '' : 's'} with the Hub`, event.bytes)
        const stage = [hashing]
        later(() => startStage(stage))
      } else if (event.type === 'upload_plan') {
        const total = event.files.reduce((sum, f) => sum + f.size, 0)
        hashing = row('Hashing LFS files', null)
        uploading = row(`Uploading ${event.files.length} file${event.files.length === 1 ? '' : 's'}`, total)
        const stage = [hashing, uploading]
        later(async () => {
          await endStage(true)
          startStage(stage)
        })
      } else if (event.type === 'hash_bytes' && hashing) {
        hashing.done += event.bytes
        hashing.meter.add(event.bytes)
      } else if (event.type === 'upload_bytes' && uploading) {
        uploading.done += event.bytes
        uploading.meter.add(event.bytes)
      } else if (event.type === 'phase' && event.phase === 'committing' && uploading) {
        uploading.label = 'Committing'
      }
    },
    async stop(ok) {
      later(() => endStage(ok))
      await queue
    },
  }
}
