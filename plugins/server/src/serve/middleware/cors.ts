import type {Next} from 'koa'

import type {AppContext} from '../context.js'

const ALLOWED_METHODS = 'GET, POST, OPTIONS'
const DEFAULT_HEADERS = 'Authorization, Content-Type, X-Request-Id'

/**
 * CORS only for the origins the operator listed (`*` for any): without `--cors-origin` a browser page on another
 * site cannot read anything from the server. Preflights are answered here, before auth, because browsers never
 * send credentials on them.
 */
export function cors(origins: string[]) {
  const any = origins.includes('*')
  return async (ctx: AppContext, next: Next): Promise<void> => {
    const origin = ctx.get('Origin')
    const allowed = origins.length > 0 && origin !== '' && (any || origins.includes(origin))
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', any ? '*' : origin)
      ctx.set('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After')
      if (!any) ctx.vary('Origin')
    }

    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '') {
      if (allowed) {
        ctx.set('Access-Control-Allow-Methods', ALLOWED_METHODS)
        ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || DEFAULT_HEADERS)
        ctx.set('Access-Control-Max-Age', '600')
      }

      ctx.status = 204
      return
    }

    await next()
  }
}
