import {readFile} from 'node:fs/promises'

import {tokenPath} from '../cache/locate.js'

export const DEFAULT_HUB_URL = 'https://huggingface.co'

type Env = NodeJS.ProcessEnv

/** `HF_ENDPOINT` without a trailing slash, as huggingface_hub reads it; the public Hub otherwise. */
export function hubUrl(env: Env = process.env): string {
  const value = env.HF_ENDPOINT?.trim()
  return value ? value.replace(/\/+$/, '') : DEFAULT_HUB_URL
}

/**
 * The token in huggingface_hub's order: `HF_TOKEN`, then the file `hf auth login` writes (`HF_TOKEN_PATH`, default
 * `$HF_HOME/token`), then the legacy `HUGGING_FACE_HUB_TOKEN`. Undefined when none is set. Never logged.
 */
export async function readToken(env: Env = process.env): Promise<string | undefined> {
  const direct = env.HF_TOKEN?.trim()
  if (direct) return direct
  const stored = await readFile(tokenPath(env), 'utf8').then(
    (text) => text.trim(),
    () => '',
  )
  if (stored) return stored
  return env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined
}

/** Origins are compared as the browser does; the token only ever goes to the Hub's own origin. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin
  } catch {
    return false
  }
}
