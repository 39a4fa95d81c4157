/** Knobs of the download engine. Defaults suit a home connection to the Hub's CDN; env vars exist for tests and bench. */
export interface PullTuning {
  /** Concurrent HTTP transfers across all files. */
  connections: number
  /** Kept free beyond the download itself. */
  diskMarginBytes: number
  /** Files in flight at once (each holds a lock and an open file). */
  fileConcurrency: number
  integrityRetries: number
  /** How long to wait for a blob another process is downloading. */
  lockWaitMs: number
  maxPartsPerFile: number
  maxRetries: number
  /** Files smaller than twice this come in one request. */
  minPartBytes: number
  preflightTimeoutMs: number
  readTimeoutMs: number
  retryDelayMs(failures: number): number
}

const MB = 1024 * 1024

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name]
  if (value === undefined || value === '') return undefined
  const number = Number(value)
  return Number.isFinite(number) && number >= 0 ? number : undefined
}

export function pullTuning(env: NodeJS.ProcessEnv, overrides: Partial<PullTuning> = {}): PullTuning {
  const retryBase = envNumber(env, 'MLXK_PULL_RETRY_DELAY_MS') ?? 1000
  return {
    connections: envNumber(env, 'MLXK_PULL_CONNECTIONS') ?? 16,
    diskMarginBytes: 64 * MB,
    fileConcurrency: envNumber(env, 'MLXK_PULL_FILES') ?? 8,
    integrityRetries: 1,
    lockWaitMs: 6 * 60 * 60 * 1000,
    maxPartsPerFile: envNumber(env, 'MLXK_PULL_PARTS') ?? 16,
    maxRetries: 5,
    minPartBytes: envNumber(env, 'MLXK_PULL_MIN_PART_BYTES') ?? 16 * MB,
    preflightTimeoutMs: envNumber(env, 'MLXK_PULL_PREFLIGHT_TIMEOUT_MS') ?? 10_000,
    readTimeoutMs: envNumber(env, 'MLXK_PULL_READ_TIMEOUT_MS') ?? 30_000,
    retryDelayMs: (failures) => Math.min(10_000, retryBase * 2 ** Math.max(0, failures - 1)),
    ...overrides,
  }
}
