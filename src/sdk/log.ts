import {redact} from './redact.js'

export type LogLevel = 'debug' | 'error' | 'info' | 'warn'

const ORDER: Record<LogLevel, number> = {debug: 10, error: 40, info: 20, warn: 30}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
}

export interface LoggerOptions {
  json?: boolean
  level?: LogLevel
  /** Where lines go; stderr unless a test captures them. */
  write?: (line: string) => void
}

/** Logs go to stderr only (stdout is reserved for the command's output), redacted, optionally as JSON lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const json = options.json ?? process.env.MLXK_LOG_JSON === '1'
  const level = options.level ?? parseLevel(process.env.MLXK_LOG_LEVEL) ?? 'warn'
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const emit = (lvl: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < ORDER[level]) return
    const line = json
      ? JSON.stringify({level: lvl, msg: message, time: new Date().toISOString(), ...fields})
      : `mlxk ${lvl}: ${message}${Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : ''}`
    write(redact(line) + '\n')
  }

  return {
    debug: (m, f) => emit('debug', m, f),
    error: (m, f) => emit('error', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
  }
}

function parseLevel(value: string | undefined): LogLevel | undefined {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : undefined
}
