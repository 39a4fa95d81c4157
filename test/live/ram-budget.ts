/*
 * How much memory a live test may give one model, after upstream mlx-knife's progressive budget (ADR-009): the
 * OS and other apps need a roughly constant few GB, so a bigger machine can give a larger share. Upstream's table
 * (16 GB → 40 %, 32 → 50 %, 64 → 60 %, 96+ → 70 %) is kept exactly at its points and interpolated linearly
 * between them; below 16 GB the share stays at 40 %.
 */

export const GIB = 1024 ** 3

const ANCHORS: ReadonlyArray<readonly [gib: number, fraction: number]> = [
  [16, 0.4],
  [32, 0.5],
  [64, 0.6],
  [96, 0.7],
]

/**
 * Weights are not all a model needs: the KV cache, activations and MLX's buffers come on top. 20 % is what
 * upstream's stop-token runs needed for 4-bit chat models at the short contexts these checks use.
 */
export const MEMORY_OVERHEAD = 1.2

export function ramBudgetFraction(totalBytes: number): number {
  const gib = totalBytes / GIB
  const first = ANCHORS[0]
  const last = ANCHORS.at(-1) ?? first
  if (gib <= first[0]) return first[1]
  if (gib >= last[0]) return last[1]
  const upper = ANCHORS.findIndex(([g]) => g >= gib)
  const [g0, f0] = ANCHORS[upper - 1]
  const [g1, f1] = ANCHORS[upper]
  return f0 + ((f1 - f0) * (gib - g0)) / (g1 - g0)
}

export function ramBudgetBytes(totalBytes: number): number {
  return Math.floor(totalBytes * ramBudgetFraction(totalBytes))
}

export interface BudgetDecision {
  budgetBytes: number
  fits: boolean
  /** Why it does not fit; null when it does. */
  reason: null | string
  requiredBytes: number
}

const gb = (bytes: number) => `${(bytes / GIB).toFixed(1)} GB`

/** Whether a model of `sizeBytes` (its weights on disk) fits the budget of a machine with `totalBytes` of RAM. */
export function checkRamBudget(sizeBytes: number, totalBytes: number): BudgetDecision {
  const budgetBytes = ramBudgetBytes(totalBytes)
  const requiredBytes = Math.ceil(sizeBytes * MEMORY_OVERHEAD)
  if (requiredBytes <= budgetBytes) return {budgetBytes, fits: true, reason: null, requiredBytes}
  const percent = Math.round(ramBudgetFraction(totalBytes) * 100)
  return {
    budgetBytes,
    fits: false,
    reason: `Model requires ${gb(requiredBytes)} (weights ${gb(sizeBytes)} + 20 %) but only ${gb(budgetBytes)} available (${percent} % of ${gb(totalBytes)} RAM)`,
    requiredBytes,
  }
}
