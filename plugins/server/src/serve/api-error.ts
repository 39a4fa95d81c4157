/**
 * Every failure the HTTP API reports, in OpenAI's error vocabulary. Handlers throw these; the one error writer
 * (middleware/error-writer.ts) turns them into `{"error": {message, type, param, code}}` with `status`.
 */
export type ApiErrorType = 'authentication_error' | 'invalid_request_error' | 'not_found_error' | 'server_error'

export interface ApiErrorOptions {
  code?: null | string
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>
  param?: null | string
  type?: ApiErrorType
}

export class ApiError extends Error {
  readonly code: null | string
  readonly headers: Record<string, string>
  readonly param: null | string
  readonly status: number
  readonly type: ApiErrorType

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
    this.code = options.code ?? null
    this.param = options.param ?? null
    this.headers = options.headers ?? {}
  }
}

export const badRequest = (
  message: string,
  param: null | string = null,
  code: null | string = 'invalid_value',
): ApiError => new ApiError(400, message, {code, param})

/** A field whose value would change the output in a way this server does not implement: never silently ignored. */
export const unsupported = (param: string, message: string): ApiError =>
  new ApiError(400, message, {code: 'unsupported_parameter', param})

export const unauthorized = (message: string): ApiError =>
  new ApiError(401, message, {code: 'invalid_api_key', type: 'invalid_request_error'})

export const modelNotFound = (model: string, detail = ''): ApiError =>
  new ApiError(404, `The model '${model}' does not exist or is not servable${detail ? `: ${detail}` : ''}`, {
    code: 'model_not_found',
    param: 'model',
    type: 'invalid_request_error',
  })

export const routeNotFound = (method: string, path: string): ApiError =>
  new ApiError(404, `Invalid URL (${method} ${path})`, {code: 'not_found', type: 'invalid_request_error'})

export const bodyTooLarge = (limit: number): ApiError =>
  new ApiError(413, `Request body exceeds the server's limit of ${limit} bytes`, {code: 'request_too_large'})

/** Overload and shutdown are retryable: the header tells well-behaved clients when. */
export const unavailable = (message: string, code: string, retryAfterS?: number): ApiError =>
  new ApiError(503, message, {
    code,
    headers: retryAfterS === undefined ? {} : {'Retry-After': String(Math.max(1, Math.ceil(retryAfterS)))},
  })

export const internal = (message: string, code: null | string = 'internal_error'): ApiError =>
  new ApiError(500, message, {code})

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError
}
