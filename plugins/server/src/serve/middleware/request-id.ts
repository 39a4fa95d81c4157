import {randomUUID} from 'node:crypto'

import type {Next} from 'koa'

import type {AppContext} from '../context.js'

/** A caller's own id is kept when it is a sane token, so logs on both sides line up; otherwise a fresh one. */
const CALLER_ID = /^[\w.:-]{1,128}$/

export function requestId() {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    const given = ctx.get('X-Request-Id')
    ctx.state.requestId = CALLER_ID.test(given) ? given : randomUUID()
    ctx.state.startedAt = Date.now()
    ctx.state.route = ctx.path
    // Set before anything else runs, so every response (errors and streams included) carries it.
    ctx.set('X-Request-Id', ctx.state.requestId)
    await next()
  }
}
