import {Transform, type TransformCallback} from 'node:stream'

/**
 * A misbehaviour the test hub injects into matching responses, the kinds of failure a CDN or flaky network
 * produces: a connection dropped mid-body, a stall, an error status, a flipped byte.
 */
export interface Fault {
  /** Bytes of the body to send before a drop, stall or corruption (counted from the start of this response). */
  afterBytes?: number
  kind: 'corrupt' | 'drop' | 'stall' | 'status'
  /** Stall length. */
  ms?: number
  /** Which requests: file content GETs (default), resolve HEADs, or API calls. */
  on?: 'api' | 'file' | 'head'
  /** Repo file path the fault applies to; any file when absent. */
  path?: string
  retryAfter?: number
  status?: number
  /** How many matching requests it hits before it is used up (default 1). */
  times?: number
}

export class FaultBook {
  private readonly faults: Fault[] = []

  add(...faults: Fault[]): void {
    this.faults.push(...faults.map((fault) => ({...fault, times: fault.times ?? 1})))
  }

  clear(): void {
    this.faults.length = 0
  }

  /** Takes (and uses up one hit of) the first fault matching this request. */
  take(on: 'api' | 'file' | 'head', path: null | string): Fault | null {
    const index = this.faults.findIndex((f) => (f.on ?? 'file') === on && (f.path === undefined || f.path === path))
    if (index === -1) return null
    const fault = this.faults[index] as Fault
    fault.times = (fault.times ?? 1) - 1
    if (fault.times <= 0) this.faults.splice(index, 1)
    return fault
  }
}

export interface BodyShaping {
  /** Bytes per second for this response (a per-connection CDN limit); 0 or absent is unlimited. */
  bytesPerSecond?: number
  fault: Fault | null
  /** Called with each chunk's length as it leaves, for the byte counters. */
  onBytes(n: number): void
  /** Destroys the connection (for `drop`). */
  onDrop(): void
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A pass-through that applies the fault and the rate limit to the body bytes. */
export function shapeBody(shaping: BodyShaping): Transform {
  let sent = 0
  let dropped = false
  const started = Date.now()
  const {bytesPerSecond, fault} = shaping
  const at = fault?.afterBytes ?? 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      void (async () => {
        if (dropped) return callback()
        let data = chunk
        if (fault && sent + data.length > at) {
          const offset = Math.max(0, at - sent)
          if (fault.kind === 'drop') {
            dropped = true
            const head = data.subarray(0, offset)
            if (head.length > 0) {
              shaping.onBytes(head.length)
              this.push(head)
            }

            // Let the head reach the socket, then cut the connection as a broken network would.
            setTimeout(() => shaping.onDrop(), 20)
            return callback()
          }

          if (fault.kind === 'corrupt' && sent <= at) {
            data = Buffer.from(data)
            data[offset] = (data[offset] as number) ^ 0xff
          }

          if (fault.kind === 'stall' && sent <= at) {
            this.push(data.subarray(0, offset))
            shaping.onBytes(offset)
            sent += offset
            data = data.subarray(offset)
            await sleep(fault.ms ?? 60_000)
          }
        }

        if (bytesPerSecond) {
          const due = started + ((sent + data.length) / bytesPerSecond) * 1000
          const wait = due - Date.now()
          if (wait > 0) await sleep(wait)
        }

        sent += data.length
        shaping.onBytes(data.length)
        callback(null, data)
      })().catch(callback)
    },
  })
}
