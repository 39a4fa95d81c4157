import {expect} from 'chai'

import {runMlxk} from '../helpers/run-cli.js'
import {testModelExpectation} from '../helpers/runtime.js'
import {assertValidEnvelope} from '../helpers/schemas.js'
import {
  allGone,
  buildServerCache,
  delay,
  getJson,
  postJson,
  readSse,
  type RunningServer,
  startServer,
  testModelId,
  workerPidsOf,
} from '../helpers/server.js'

interface Health {
  models: {id: string; loaded: boolean}[]
  runtime: {pid: null | number}
  status: string
}

/** Start-up, model residency and shutdown: each test owns its server, since most of them end it. */
describe('mlxk server: preload, keep-alive, eviction and shutdown', function () {
  this.timeout(120_000)
  const BPE = testModelId('tiny-qwen2-bpe')
  const THINK = testModelId('tiny-qwen2-think')
  const cases = testModelExpectation('tiny-qwen2-bpe').cases
  let hubCache: string
  let server: RunningServer | undefined

  before(async () => {
    hubCache = await buildServerCache(['tiny-qwen2-bpe', 'tiny-qwen2-think'])
  })

  afterEach(async () => {
    await server?.stop('SIGKILL')
    server = undefined
  })

  const start = async (args: string[], stepDelay = '0.1') => {
    server = await startServer({args: ['--model', BPE, ...args], env: {MLXK_RUNTIME_STEP_DELAY_S: stepDelay}, hubCache})
    return server
  }

  const health = async (s: RunningServer) => (await getJson<Health>(`${s.url}/health`)).body
  const loadedIds = async (s: RunningServer) => (await health(s)).models.filter((m) => m.loaded).map((m) => m.id)

  /** A running stream whose first content token has arrived; `events` resolves when it ends. */
  async function streamInFlight(s: RunningServer): Promise<{events: Promise<string[]>}> {
    const response = await postJson(`${s.url}/v1/chat/completions`, {
      messages: cases[0]!.messages,
      model: BPE,
      stream: true,
      temperature: 0,
    })
    let first: () => void
    const started = new Promise<void>((resolve) => (first = resolve))
    const events = readSse(response, (data) => {
      if (data.includes('"content":"') && !data.includes('"content":""')) first()
    })
    await started
    // Wrapped: an async function returning the bare promise would wait for the whole stream.
    return {events}
  }

  it('is an alpha command: refused with exit 4 unless enabled', async () => {
    const result = await runMlxk(['server', '--port', '0', '--json'], {env: {MLXK_ALPHA: ''}, hubCache})
    expect(result.exitCode).to.equal(4)
    expect(result.json?.error?.type).to.equal('feature_disabled')
  })

  it('answers to `serve` too and prints one JSON start-up line that validates as an envelope', async () => {
    server = await startServer({command: 'serve', hubCache})
    const line = server.stdout().split('\n')[0]!
    const envelope = JSON.parse(line) as {data: {port: number; status: string; url: string}}
    assertValidEnvelope(envelope)
    expect(envelope.data.status).to.equal('listening')
    expect(envelope.data.url).to.equal(server.url)
    expect(server.stderr()).to.include(`listening on ${server.url}`)
  })

  it('preloads --model before listening, evicts the idle model for another (--max-loaded 1), unloads after --keep-alive', async () => {
    const s = await start(['--keep-alive', '500ms', '--max-loaded', '1', '--host', '0.0.0.0'], '0')
    expect(s.stderr()).to.match(/warning: listening on 0\.0\.0\.0 without an API key/)
    expect(await loadedIds(s)).to.deep.equal([BPE])
    // The preloaded model is pinned: it stays past the keep-alive.
    await delay(800)
    expect(await loadedIds(s)).to.deep.equal([BPE])
    const think = testModelExpectation('tiny-qwen2-think').cases[0]!
    const response = await postJson(`${s.url}/v1/chat/completions`, {
      messages: think.messages,
      model: THINK,
      temperature: 0,
    })
    expect(response.status).to.equal(200)
    expect(await loadedIds(s)).to.deep.equal([THINK])
    await delay(900)
    expect(await loadedIds(s)).to.deep.equal([])
  })

  it('concurrent requests for a model that is not loaded share one load', async () => {
    const s = await start(['--max-loaded', '1', '--parallel', '2'], '0')
    const think = testModelExpectation('tiny-qwen2-think').cases[0]!
    const body = {messages: think.messages, model: THINK, temperature: 0}
    const responses = await Promise.all([1, 2, 3].map(() => postJson(`${s.url}/v1/chat/completions`, body)))
    for (const response of responses) expect(response.status).to.equal(200)
    const metrics = await (await fetch(`${s.url}/metrics`)).text()
    expect(metrics).to.match(/^mlxk_model_loads_total\{model="mlxk-test\/tiny-qwen2-think"\} 1$/m)
    expect(await loadedIds(s)).to.deep.equal([THINK])
  })

  it('SIGTERM lets a stream in flight finish, refuses new work, stops the runtime and exits 0', async () => {
    const s = await start(['--grace-period', '10s'])
    const workers = workerPidsOf(s.pid)
    expect(workers).to.have.length(1)
    const {events} = await streamInFlight(s)
    s.child.kill('SIGTERM')
    await delay(100)
    const refused = await fetch(`${s.url}/health`).catch(() => undefined)
    // Either the listener is already closed or the server says it is draining.
    if (refused) expect(refused.status).to.equal(503)
    const all = await events
    expect(all.at(-1)).to.equal('[DONE]')
    const text = all
      .slice(0, -1)
      .map((e) => (JSON.parse(e) as {choices: {delta: {content?: string}}[]}).choices[0]?.delta.content ?? '')
      .join('')
    expect(text).to.equal(cases[0]!.text)
    expect(await s.exited).to.equal(0)
    expect(await allGone(workers)).to.equal(true)
    expect(s.stderr()).to.match(/SIGTERM received/)
  })

  it('after the grace period, cancels the stream with an SSE error event and exits 0', async () => {
    const s = await start(['--grace-period', '200ms'])
    const workers = workerPidsOf(s.pid)
    const {events} = await streamInFlight(s)
    s.child.kill('SIGINT')
    const all = await events
    const last = JSON.parse(all.at(-1)!) as {error: {code: string}}
    expect(last.error.code).to.equal('server_shutting_down')
    expect(await s.exited).to.equal(0)
    expect(await allGone(workers)).to.equal(true)
  })

  it('a second signal exits at once, leaving no worker behind', async () => {
    const s = await start(['--grace-period', '60s'])
    const workers = workerPidsOf(s.pid)
    await streamInFlight(s)
    s.child.kill('SIGTERM')
    await delay(100)
    const signalledAt = Date.now()
    s.child.kill('SIGTERM')
    expect(await s.exited).to.equal(0)
    expect(Date.now() - signalledAt).to.be.below(2000)
    expect(await allGone(workers)).to.equal(true)
  })
})
