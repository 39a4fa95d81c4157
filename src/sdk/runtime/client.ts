import {chmod, mkdtemp, rm} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import type {MlxkError} from '../errors.js'
import type {Logger} from '../log.js'

import {AsyncQueue} from './async-queue.js'
import {type GroupSpec, pathOnHost} from './distributed/group-spec.js'
import {prepareGroupLaunch} from './distributed/launch.js'
import {writeRuntimeInfoCache} from './info-cache.js'
import {LineSplitter, parseJsonObjectLine} from './json-lines.js'
import {locateRuntime, WORKER_MODULE_ARGS} from './locate.js'
import {
  type EmbeddingsEvent,
  type EmbedParams,
  type GenerateEvent,
  type GenerateParams,
  type HelloEvent,
  type InfoEvent,
  type LoadedEvent,
  type ModelRuntimeKind,
  type OkEvent,
  PROTOCOL_VERSION,
  RESULT_EVENT_BY_OP,
  type ResultEventByOp,
  type RuntimeEvent,
  type RuntimeRequest,
  type Topology,
  type UnloadedEvent,
} from './protocol.js'
import {fromWorkerError, runtimeClosedError, workerExitedError, workerStartFailedError} from './runtime-errors.js'
import {closeOnSignal} from './signal-cleanup.js'
import {WorkerProcess, type WorkerExit} from './worker-process.js'
import {settlesWithin} from './within.js'

export interface RuntimeStartOptions {
  /** How long `close()` waits for the worker to exit after `shutdown` before killing it. Default 5000. */
  closeGraceMs?: number
  /** Extra environment for the worker (on top of this process's). */
  env?: Record<string, string>
  /**
   * Start a distributed group through mlx.launch instead of one process (docs/distributed.md); rank 0 is the
   * worker this client talks to. Check the hosts first with `checkGroupHosts`.
   */
  group?: GroupSpec
  /** Receives the worker's output at debug level and protocol oddities at warn level. */
  logger?: Logger
  /**
   * Bound of each loaded model's prompt cache in bytes, 0 off (runtime protocol §3.6); default: the worker's, an
   * eighth of the machine's memory up to 8 GiB. A distributed group has none.
   */
  promptCacheBytes?: number
  /** The interpreter; default: `locateRuntime().python`. */
  python?: string
  /** How long the worker may take to connect and say hello (it imports mlx-lm). Default 60000. */
  startTimeoutMs?: number
  /**
   * Close the worker on SIGINT/SIGTERM and re-raise the signal. Default true; a long-running server that owns
   * its own graceful shutdown passes false (the socket EOF still ends the worker if the process dies).
   */
  handleSignals?: boolean
  /** Write `runtime-info.json` after each successful `info()`. Default true. */
  writeInfoCache?: boolean
}

export interface GenerateOptions {
  /** Aborting sends `cancel`; the stream then ends with `done` (finish_reason "cancelled"). */
  signal?: AbortSignal
}

export interface LoadParams {
  /** What the caller's inspection says the model is; default: what its files say. */
  kind?: ModelRuntimeKind
  /** The handle for later requests; default: the path. */
  modelId?: string
  modelPath: string
}

type RequestBody<Op extends keyof ResultEventByOp> = Omit<Extract<RuntimeRequest, {op: Op}>, 'id'>

interface PendingRequest {
  fail(error: MlxkError): void
  /** Returns true when `event` ended the request. */
  handle(event: RuntimeEvent & {id: string}): boolean
}

const SOCKET_NAME = 'w.sock'
/** sun_path holds 104 bytes on macOS, 108 on Linux; a deep $TMPDIR would not fit. */
const MAX_SOCKET_PATH = 100
/** After EOF the exit status follows within milliseconds; this only bounds an odd wait. */
const EXIT_STATUS_WAIT_MS = 1000

/**
 * One Python worker speaking runtime protocol 1 over a private Unix socket. A dead worker fails every open
 * request with `worker_exited` and leaves `alive` false; `RuntimeSupervisor` starts a new one.
 */
export class RuntimeClient {
  readonly hello: HelloEvent
  /** The interpreter the worker runs on. */
  readonly python: string
  #alive = true
  readonly #closeGraceMs: number
  readonly #group: GroupSpec | undefined
  #closing: Promise<void> | undefined
  #deathError: MlxkError | undefined
  readonly #logger: Logger | undefined
  #nextId = 0
  readonly #pending = new Map<string, PendingRequest>()
  readonly #socket: Socket
  readonly #untrackSignals: () => void
  readonly #worker: WorkerProcess
  readonly #writeInfoCache: boolean

  private constructor(init: {
    hello: HelloEvent
    options: RuntimeStartOptions
    python: string
    socket: Socket
    worker: WorkerProcess
  }) {
    this.hello = init.hello
    this.python = init.python
    this.#socket = init.socket
    this.#worker = init.worker
    this.#logger = init.options.logger
    this.#closeGraceMs = init.options.closeGraceMs ?? 5000
    this.#group = init.options.group
    this.#writeInfoCache = init.options.writeInfoCache ?? true
    this.#untrackSignals = init.options.handleSignals === false ? () => {} : closeOnSignal(this)
  }

  /** Spawns a worker and waits for its `hello`. */
  static async start(options: RuntimeStartOptions = {}): Promise<RuntimeClient> {
    const python = options.python ?? locateRuntime().python
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000)
    const socketDir = await makeSocketDir()
    const socketPath = join(socketDir, SOCKET_NAME)
    const server = createServer()
    let worker: undefined | WorkerProcess
    let socket: Socket | undefined
    try {
      await listen(server, socketPath)
      const args =
        options.group === undefined
          ? // --parent-pid lets the worker notice a parent that died before it started watching.
            [
              ...WORKER_MODULE_ARGS,
              '--connect',
              socketPath,
              '--parent-pid',
              String(process.pid),
              ...(options.promptCacheBytes === undefined
                ? []
                : ['--prompt-cache-bytes', String(options.promptCacheBytes)]),
            ]
          : (await prepareGroupLaunch(options.group, {dir: socketDir, python, socketPath})).args
      worker = await WorkerProcess.spawn({
        args,
        env: {...process.env, ...options.env},
        logger: options.logger,
        python,
      })
      socket = await duringStart(acceptOne(server), worker, deadline)
      const handshake = new Handshake(socket)
      const hello = await duringStart(handshake.hello, worker, deadline)
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw workerStartFailedError(
          `it speaks protocol ${hello.protocol}, this mlxk speaks ${PROTOCOL_VERSION}`,
          undefined,
          '',
          worker.pid,
        )
      }

      const client = new RuntimeClient({hello, options, python, socket, worker})
      client.#attach(handshake)
      return client
    } catch (error) {
      socket?.destroy()
      worker?.kill()
      throw error
    } finally {
      server.close()
      // The connection outlives its socket file; removing it now leaves nothing behind if we are SIGKILLed.
      await rm(socketDir, {force: true, recursive: true})
    }
  }

  /** False once the worker is gone (crashed, killed or closed). */
  get alive(): boolean {
    return this.#alive
  }

  /** How the worker exited, once it has. */
  get exit(): undefined | WorkerExit {
    return this.#worker.exit
  }

  /** The worker's pid; for a distributed group, the pid of mlx.launch, whose process group holds the ranks. */
  get pid(): number | undefined {
    return this.#worker.pid
  }

  /** The distributed group's ranks, hosts and backend; undefined for a single worker. */
  get topology(): Topology | undefined {
    return this.hello.topology
  }

  /** Ends a running generation; `found` is false when it had already finished. */
  cancel(target: string): Promise<OkEvent> {
    return this.#call({op: 'cancel', target})
  }

  /**
   * Sends `shutdown`, waits for the worker to exit, kills it after the grace period. Idempotent; never throws.
   * Generations still running end with `done` (finish_reason "cancelled").
   */
  close(options: {graceMs?: number} = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.graceMs ?? this.#closeGraceMs)
    return this.#closing
  }

  /**
   * Streams one generation: `start`, `token`s, then `done`. A worker `error` is thrown as MlxkError with the
   * worker's type and extra fields in `details`. Leaving the loop early or aborting `signal` cancels it on the
   * worker. The request is sent when iteration begins.
   */
  async *generate(
    params: GenerateParams,
    options: GenerateOptions = {},
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    const {signal} = options
    signal?.throwIfAborted()
    const id = this.#newId()
    const queue = new AsyncQueue<GenerateEvent>()
    // Set once the request has ended on the worker's side (terminal event or the worker's death).
    let settled = false
    this.#pending.set(id, {
      fail(error) {
        settled = true
        queue.fail(error)
      },
      handle(event) {
        switch (event.event) {
          case 'done': {
            settled = true
            queue.push(event)
            queue.end()
            return true
          }

          case 'error': {
            settled = true
            queue.fail(fromWorkerError(event.error))
            return true
          }

          case 'start':
          case 'token':
          case 'tool_call': {
            queue.push(event)
            return false
          }

          default: {
            return false
          }
        }
      },
    })
    const request: RuntimeRequest = {...params, id, op: 'generate'}
    try {
      this.#send(request)
    } catch (error) {
      this.#pending.delete(id)
      throw error
    }

    const cancel = () => {
      // Fire and forget: the stream's own `done` (or the worker's death) is what ends the iteration.
      if (this.#alive) this.cancel(id).catch(() => {})
    }

    signal?.addEventListener('abort', cancel, {once: true})
    try {
      for (;;) {
        const next = await queue.next()
        if (next.done) break
        yield next.value
        if (next.value.event === 'done') break
      }
    } finally {
      signal?.removeEventListener('abort', cancel)
      if (!settled) {
        // The consumer stopped early: stop buffering and free the worker. The pending entry stays until the
        // worker's `done` arrives so a late event is recognised, then drops.
        queue.end()
        cancel()
      }
    }
  }

  /** Embeds every input of one request in batches on the worker; `decodeEmbeddings` reads the vectors. */
  embed(params: EmbedParams): Promise<EmbeddingsEvent> {
    return this.#call({...params, op: 'embed'})
  }

  /** Runtime facts; also refreshes the cache `mlxk list` reads (failures to write it are only logged). */
  async info(): Promise<InfoEvent> {
    const info = await this.#call({op: 'info'})
    if (this.#writeInfoCache) {
      try {
        await writeRuntimeInfoCache(info, this.python)
      } catch (error) {
        this.#logger?.warn('could not write the runtime info cache', {error: String(error)})
      }
    }

    return info
  }

  load(params: LoadParams): Promise<LoadedEvent> {
    const body: RequestBody<'load'> = {model_path: params.modelPath, op: 'load'}
    if (params.modelId !== undefined) body.model_id = params.modelId
    if (params.kind !== undefined) body.kind = params.kind
    if (this.#group?.hosts.some((host) => Object.keys(host.pathMap).length > 0)) {
      body.rank_model_paths = this.#group.hosts.map((host) => pathOnHost(params.modelPath, host))
    }

    return this.#call(body)
  }

  async ping(): Promise<void> {
    await this.#call({op: 'ping'})
  }

  unload(modelId: string): Promise<UnloadedEvent> {
    return this.#call({model_id: modelId, op: 'unload'})
  }

  #attach(handshake: Handshake): void {
    const socket = this.#socket
    handshake.handOver((line) => this.#onLine(line))
    socket.on('error', (error) => this.#logger?.debug('runtime socket error', {error: error.message}))
    socket.on('close', () => void this.#onDisconnect())
    // A worker that dies while a wrapper still holds the socket open must not look alive.
    void this.#worker.exited.then(() => socket.destroy())
    if (socket.destroyed) void this.#onDisconnect()
  }

  #call<Op extends keyof ResultEventByOp>(body: RequestBody<Op> & {op: Op}): Promise<ResultEventByOp[Op]> {
    const id = this.#newId()
    const expected: string = RESULT_EVENT_BY_OP[body.op]
    return new Promise((resolve, reject) => {
      this.#pending.set(id, {
        fail: reject,
        handle: (event) => {
          if (event.event === expected) {
            resolve(event as ResultEventByOp[Op])
            return true
          }

          if (event.event === 'error') {
            reject(fromWorkerError(event.error))
            return true
          }

          return false
        },
      })
      try {
        this.#send({...body, id} as RuntimeRequest)
      } catch (error) {
        this.#pending.delete(id)
        reject(error)
      }
    })
  }

  #newId(): string {
    this.#nextId += 1
    return String(this.#nextId)
  }

  async #onDisconnect(): Promise<void> {
    if (!this.#alive) return
    this.#alive = false
    this.#untrackSignals()
    if (this.#worker.exit === undefined) {
      await settlesWithin(this.#worker.exited, EXIT_STATUS_WAIT_MS)
      // Without its connection the worker is useless; the protocol says it exits on EOF, this makes sure.
      this.#worker.kill()
    }

    const error =
      this.#closing === undefined
        ? workerExitedError(this.#worker.exit, this.#worker.output.text(), this.#worker.pid)
        : runtimeClosedError()
    this.#deathError = error
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const request of pending) request.fail(error)
  }

  #onLine(line: string): void {
    const message = parseJsonObjectLine(line)
    if (message === undefined || typeof message.event !== 'string') {
      this.#logger?.warn('runtime worker sent an unreadable line', {line: line.slice(0, 200)})
      return
    }

    const event = message as unknown as RuntimeEvent
    if (event.event === 'hello') return
    if (typeof message.id !== 'string') {
      // Only a line the worker could not parse gets an error without id: a bug on our side worth seeing.
      this.#logger?.warn('runtime worker rejected a request', {error: message.error})
      return
    }

    const pending = this.#pending.get(message.id)
    if (pending?.handle(event as RuntimeEvent & {id: string})) this.#pending.delete(message.id)
  }

  #send(request: RuntimeRequest): void {
    if (!this.#alive || this.#closing !== undefined) {
      throw (
        this.#deathError ??
        (this.#closing === undefined
          ? workerExitedError(this.#worker.exit, this.#worker.output.text(), this.#worker.pid)
          : runtimeClosedError())
      )
    }

    this.#socket.write(JSON.stringify(request) + '\n')
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#untrackSignals()
    if (this.#alive) {
      try {
        this.#socket.write(JSON.stringify({id: this.#newId(), op: 'shutdown'} satisfies RuntimeRequest) + '\n')
      } catch {
        // The socket broke under us; the kill below still ends the worker.
      }
    }

    if (!(await settlesWithin(this.#worker.exited, graceMs))) {
      this.#logger?.warn('runtime worker ignored shutdown; killing it', {pid: this.#worker.pid})
      this.#worker.kill()
      await settlesWithin(this.#worker.exited, EXIT_STATUS_WAIT_MS)
    }

    this.#socket.destroy()
    await this.#onDisconnect()
  }
}

/** Reads lines until `hello`, then passes every later line (even from the same chunk) to the client. */
class Handshake {
  readonly hello: Promise<HelloEvent>
  readonly #early: string[] = []
  #onLine: ((line: string) => void) | undefined
  readonly #splitter = new LineSplitter()

  constructor(socket: Socket) {
    socket.setEncoding('utf8')
    this.hello = new Promise((resolve, reject) => {
      let greeted = false
      socket.on('data', (chunk: string) => {
        for (const line of this.#splitter.push(chunk)) {
          if (!greeted) {
            const message = parseJsonObjectLine(line)
            greeted = message?.event === 'hello'
            if (greeted) resolve(message as unknown as HelloEvent)
          } else if (this.#onLine === undefined) {
            this.#early.push(line)
          } else {
            this.#onLine(line)
          }
        }
      })
      socket.once('close', () => reject(new Error('the worker closed its connection before saying hello')))
    })
    // After a successful start the client's own close handler deals with a closed socket.
    this.hello.catch(() => {})
  }

  handOver(onLine: (line: string) => void): void {
    this.#onLine = onLine
    for (const line of this.#early.splice(0)) onLine(line)
  }
}

async function makeSocketDir(): Promise<string> {
  const base = join(tmpdir(), 'mlxk-rt-XXXXXX', SOCKET_NAME).length <= MAX_SOCKET_PATH ? tmpdir() : '/tmp'
  const dir = await mkdtemp(join(base, 'mlxk-rt-'))
  // mkdtemp already uses 0700; explicit so the socket is private whatever the platform does.
  await chmod(dir, 0o700)
  return dir
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function acceptOne(server: Server): Promise<Socket> {
  return new Promise((resolve) => {
    server.once('connection', (socket) => {
      // One connection per worker (protocol §1): anyone else knocking later is refused.
      server.on('connection', (intruder) => intruder.destroy())
      resolve(socket)
    })
  })
}

/** `step`, unless the worker exits or the start deadline passes first. */
async function duringStart<T>(step: Promise<T>, worker: WorkerProcess, deadline: number): Promise<T> {
  const started = Date.now()
  const timer = new AbortController()
  try {
    return await Promise.race([
      step,
      worker.exited.then((exit) => {
        throw workerStartFailedError('the worker exited before it was ready', exit, worker.output.text(), worker.pid)
      }),
      delay(Math.max(0, deadline - Date.now()), undefined, {signal: timer.signal}).then(() => {
        throw workerStartFailedError(
          `no hello from the worker within ${Math.round((deadline - started) / 1000)} s`,
          undefined,
          worker.output.text(),
          worker.pid,
        )
      }),
    ])
  } finally {
    timer.abort()
  }
}
