import {formatSize} from '../render/format.js'

/** Speed over a sliding window, so a stall shows as a falling rate rather than the whole-run average. */
export class RateMeter {
  private readonly samples: Array<{at: number; bytes: number}> = []
  total = 0

  constructor(private readonly windowMs = 3000) {}

  add(bytes: number, now = Date.now()): void {
    this.total += bytes
    this.samples.push({at: now, bytes: this.total})
    while (this.samples.length > 2 && (this.samples[0] as {at: number}).at < now - this.windowMs) this.samples.shift()
  }

  /** Bytes per second. */
  rate(now = Date.now()): number {
    const first = this.samples[0]
    if (!first) return 0
    const span = Math.max(now - first.at, 250)
    return ((this.total - first.bytes) / span) * 1000
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--'
  if (seconds < 60) return `${Math.ceil(seconds)}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`
}

/** `12.3MB/100.0MB  5.2MB/s  ETA 17s` */
export function progressLine(done: number, total: number, bytesPerSecond: number): string {
  const eta = bytesPerSecond > 0 ? formatDuration((total - done) / bytesPerSecond) : '--'
  return `${formatSize(done)}/${formatSize(total)}  ${formatSize(bytesPerSecond)}/s  ETA ${eta}`
}
