import type {Next} from 'koa'

import {badRequest, bodyTooLarge} from '../api-error.js'
import type {AppContext} from '../context.js'

/**
 * Reads and parses a POST body as JSON, refusing anything over `limit` bytes: by Content-Length before reading
 * a byte, and by counting for chunked uploads. Any content type is read as JSON, as `curl -d` sends
 * form-encoded headers with a JSON body and OpenAI-compatible servers accept that.
 */
export function jsonBody(limit: number, paths: ReadonlySet<string>) {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    // Only routes that take a body: anything else gets its 404 without us reading (or judging) the upload.
    if (ctx.method !== 'POST' || !paths.has(ctx.path)) return next()
    const declared = Number(ctx.get('Content-Length') || Number.NaN)
    if (declared > limit) throw bodyTooLarge(limit)
    const text = await readText(ctx, limit)
    try {
      ctx.state.body = JSON.parse(text) as unknown
    } catch (error) {
      throw badRequest(`The request body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json')
    }

    await next()
  }
}

async function readText(ctx: AppContext, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw bodyTooLarge(limit)
    chunks.push(chunk)
  }

  return Buffer.concat(chunks).toString('utf8')
}
