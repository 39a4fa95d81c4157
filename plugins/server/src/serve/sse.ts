import {once} from 'node:events'
import type {ServerResponse} from 'node:http'

/**
 * A server-sent-events response written straight to Node's response (Koa's `ctx.respond = false`): each event is
 * `data: <json>\n\n`, with backpressure, so a slow client slows its own generation instead of growing a buffer.
 */
export class SseStream {
  readonly #res: ServerResponse

  constructor(res: ServerResponse) {
    this.#res = res
  }

  /** False once the client is gone; writes after that are dropped. */
  get open(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded
  }

  /** Sends the status line and headers now, so the client sees the stream start before the first token. */
  begin(): void {
    this.#res.statusCode = 200
    this.#res.setHeader('Content-Type', 'text/event-stream; charset=utf-8')
    this.#res.setHeader('Cache-Control', 'no-cache')
    // Proxies such as nginx buffer responses unless told otherwise; a buffered token stream is useless.
    this.#res.setHeader('X-Accel-Buffering', 'no')
    this.#res.flushHeaders()
  }

  async send(data: object | string): Promise<void> {
    await this.#write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)
  }

  end(): void {
    if (this.open) this.#res.end()
  }

  async #write(text: string): Promise<void> {
    if (!this.open) return
    if (this.#res.write(text)) return
    await Promise.race([once(this.#res, 'drain'), once(this.#res, 'close')])
  }
}
