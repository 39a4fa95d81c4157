import {homedir} from 'node:os'

const TOKEN = /\bhf_[A-Za-z0-9]{4,}\b/g
const AUTH_HEADER = /(authorization["']?\s*[:=]\s*["']?)(bearer\s+)?[^\s"',}]+/gi

/** Tokens and the user's home path never reach a log line or an error message. */
export function redact(text: string, home: string = safeHome()): string {
  let out = text.replace(
    AUTH_HEADER,
    (_m, key: string, bearer: string | undefined) => `${key}${bearer ?? ''}[redacted]`,
  )
  out = out.replace(TOKEN, 'hf_[redacted]')
  if (home.length > 1) out = out.split(home).join('~')
  return out
}

function safeHome(): string {
  try {
    return process.env.HOME || homedir()
  } catch {
    return ''
  }
}
