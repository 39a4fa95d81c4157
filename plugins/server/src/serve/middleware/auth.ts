import {createHash, timingSafeEqual} from 'node:crypto'

import type {Next} from 'koa'

import {unauthorized} from '../api-error.js'
import type {AppContext} from '../context.js'

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * `Authorization: Bearer <key>` on /v1/* and /metrics when a key is configured. /health stays open so load
 * balancers and supervisors can probe without the secret. Comparing digests keeps the check constant-time
 * whatever the lengths.
 */
export function auth(apiKey: string | undefined) {
  const expected = apiKey === undefined ? undefined : digest(apiKey)
  return async (ctx: AppContext, next: Next): Promise<void> => {
    if (expected && (ctx.path.startsWith('/v1/') || ctx.path === '/v1' || ctx.path === '/metrics')) {
      const match = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'))
      if (!match) throw unauthorized('Missing API key: send it as `Authorization: Bearer <key>`')
      if (!timingSafeEqual(digest(match[1]!.trim()), expected)) throw unauthorized('Incorrect API key provided')
    }

    await next()
  }
}
