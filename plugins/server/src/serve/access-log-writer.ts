import type {AccessLogEntry} from './context.js'

/** Access log lines on stderr: `--log-json` gives one JSON object per line for log shippers. */
export function accessLogWriter(json: boolean, write: (line: string) => void = (l) => process.stderr.write(l)) {
  return (entry: AccessLogEntry): void => {
    if (json) {
      write(JSON.stringify({level: 'info', msg: 'request', time: new Date().toISOString(), ...entry}) + '\n')
      return
    }

    const error = entry.error ? ` error=${entry.error}` : ''
    write(
      `mlxk server: ${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms}ms id=${entry.request_id}${error}\n`,
    )
  }
}
