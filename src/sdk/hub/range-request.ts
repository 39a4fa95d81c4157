import {sameOrigin} from './endpoint.js'

const MAX_REDIRECTS = 5

/** An HTTP answer that is not the bytes asked for. `retryAfterMs` comes from `Retry-After`. */
export class HttpStatusError extends Error {
  readonly code: null | string
  readonly retryAfterMs: null | number
  readonly status: number

  constructor(status: number, code: null | string, retryAfterMs: null | number, url: string) {
    super(`HTTP ${status}${code ? ` (${code})` : ''} from ${new URL(url).host}`)
    this.name = 'HttpStatusError'
    this.status = status
    this.code = code
    this.retryAfterMs = retryAfterMs
  }
}

export interface RangeRequest {
  /** Inclusive. */
  end: number
  fetch?: typeof fetch
  hubUrl: string
  signal: AbortSignal
  start: number
  token?: string | undefined
  /** The resolve URL, or a storage URL a previous request was redirected to. */
  url: string
  userAgent: string
}

export interface RangeResponse {
  body: ReadableStream<Uint8Array>
  /** Offset of the first body byte (0 when the server ignored the Range). */
  bodyStart: number
  /** Where the bytes actually came from, to reuse for the file's other parts. */
  finalUrl: string
}

function retryAfter(header: null | string): null | number {
  if (!header) return null
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

/**
 * GET `bytes=start-end` of a file. Redirects are followed by hand so the token goes only to the Hub's own origin:
 * the LFS redirect to a CDN or storage host is followed without Authorization, as huggingface_hub does.
 */
export async function requestRange(request: RangeRequest): Promise<RangeResponse> {
  let url = request.url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {
      'Accept-Encoding': 'identity',
      Range: `bytes=${request.start}-${request.end}`,
      'User-Agent': request.userAgent,
    }
    if (request.token && sameOrigin(url, request.hubUrl)) headers.Authorization = `Bearer ${request.token}`
    const response = await (request.fetch ?? fetch)(url, {headers, redirect: 'manual', signal: request.signal})
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {})
      url = new URL(location, url).toString()
      continue
    }

    if (response.status === 206) {
      const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '')
      if (!match || Number(match[1]) !== request.start || !response.body) {
        await response.body?.cancel().catch(() => {})
        throw new HttpStatusError(502, 'BadContentRange', null, url)
      }

      return {body: response.body, bodyStart: request.start, finalUrl: url}
    }

    if (response.status === 200 && response.body) return {body: response.body, bodyStart: 0, finalUrl: url}
    await response.body?.cancel().catch(() => {})
    throw new HttpStatusError(
      response.status,
      response.headers.get('x-error-code'),
      retryAfter(response.headers.get('retry-after')),
      url,
    )
  }

  throw new HttpStatusError(508, 'TooManyRedirects', null, url)
}
