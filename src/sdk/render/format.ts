/** Decimal size like upstream: 999B, 1.2KB, 3.4MB, 5.6GB, 7.8TB, then PB. */
export function formatSize(bytes: null | number | undefined): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '-'
  if (bytes < 1000) return `${Math.round(bytes)}B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1000
  for (const unit of units) {
    if (value < 1000) return `${value.toFixed(1)}${unit}`
    value /= 1000
  }

  return `${value.toFixed(1)}PB`
}

/** Relative age of an ISO UTC timestamp, as upstream prints it (`just now`, `5m ago`, `3d ago`, then the date). */
export function formatRelativeTime(iso: null | string | undefined, now: Date = new Date()): string {
  if (!iso) return '-'
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return iso
  const seconds = Math.max(0, (now.getTime() - then) / 1000)
  if (seconds < 45) return 'just now'
  if (seconds < 90) return '1m ago'
  const minutes = Math.round(seconds / 60)
  if (minutes < 45) return `${minutes}m ago`
  if (minutes < 90) return '1h ago'
  const hours = Math.round(minutes / 60)
  if (hours < 24) return `${hours}h ago`
  if (hours < 36) return '1d ago'
  const days = Math.round(hours / 24)
  if (days < 30) return `${days}d ago`
  return iso.slice(0, 10)
}

export function shortHash(hash: null | string | undefined): string {
  return hash ? hash.slice(0, 7) : '-'
}

/** A plain text table: cells padded to column width, joined by " | ", a dashed rule under the header. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-')
  return [line(headers), rule, ...rows.map((r) => line(r))].join('\n')
}
