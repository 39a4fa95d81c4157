import {expect} from 'chai'

import {processExists, testModelExpectation, waitUntil} from '../helpers/runtime.js'
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
  in_flight: number
  models: {active: number; id: string; waiting: number}[]
  runtime: {pid: null | number; restarts: number}
}

/**
 * Operations on a slowed runtime (MLXK_RUNTIME_STEP_DELAY_S: about 0.1 s per token, ~1 s per answer), with an
 * API key, CORS for one origin, one generation slot and a line of one.
 */
describe('mlxk server: auth, CORS, queueing, disconnects and runtime crashes', function () {
  this.timeout(120_000)
  const KEY = 'test-secret-key'
  const ORIGIN = 'https://app.example'
  const BPE = testModelId('tiny-qwen2-bpe')
  const cases = testModelExpectation('tiny-qwen2-bpe').cases
  const auth = {Authorization: `Bearer ${KEY}`}
  let server: RunningServer

  before(async () => {
    server = await startServer({
      args: ['--api-key', KEY, '--cors-origin', ORIGIN, '--max-queue', '1', '--parallel', '1', '--model', BPE],
      env: {MLXK_RUNTIME_STEP_DELAY_S: '0.1'},
      hubCache: await buildServerCache(['tiny-qwen2-bpe']),
    })
  })

  after(async () => {
    if (!server) return
    const workers = workerPidsOf(server.pid)
    expect(await server.stop()).to.equal(0)
    expect(await allGone(workers)).to.equal(true)
  })

  const chat = (body: Record<string, unknown>, signal?: AbortSignal) =>
    postJson(
      `${server.url}/v1/chat/completions`,
      {messages: cases[0]!.messages, model: BPE, temperature: 0, ...body},
      auth,
      signal,
    )
  const health = async () => (await getJson<Health>(`${server.url}/health`)).body
  const bpeState = async () => (await health()).models.find((m) => m.id === BPE)

  /** Starts a stream and resolves once its first content token arrived (so the generation is running). */
  async function startedStream(controller: AbortController): Promise<{events: Promise<string[]>}> {
    const response = await chat({stream: true}, controller.signal)
    expect(response.status).to.equal(200)
    let firstToken: () => void
    const gotToken = new Promise<void>((resolve) => (firstToken = resolve))
    const events = readSse(response, (data) => {
      if (data.includes('"content":"') && !data.includes('"content":""')) firstToken()
    }).catch(() => [] as string[])
    await gotToken
    return {events}
  }

  describe('auth', () => {
    it('401 in OpenAI shape without or with a wrong Bearer key, 200 with the right one', async () => {
      const attempts: Record<string, string>[] = [{}, {Authorization: 'Bearer nope'}, {Authorization: KEY}]
      for (const headers of attempts) {
        const response = await fetch(`${server.url}/v1/models`, {headers})
        expect(response.status).to.equal(401)
        const body = (await response.json()) as {error: {code: string; type: string}}
        expect(body.error.code).to.equal('invalid_api_key')
        expect(body.error.type).to.equal('invalid_request_error')
      }

      expect((await fetch(`${server.url}/v1/models`, {headers: auth})).status).to.equal(200)
      expect((await fetch(`${server.url}/metrics`)).status).to.equal(401)
    })

    it('leaves /health open', async () => {
      expect((await fetch(`${server.url}/health`)).status).to.equal(200)
    })
  })

  describe('CORS', () => {
    it('allows only the listed origin', async () => {
      const allowed = await fetch(`${server.url}/v1/models`, {headers: {...auth, Origin: ORIGIN}})
      expect(allowed.headers.get('access-control-allow-origin')).to.equal(ORIGIN)
      expect(allowed.headers.get('vary')).to.match(/Origin/)
      const other = await fetch(`${server.url}/v1/models`, {headers: {...auth, Origin: 'https://evil.example'}})
      expect(other.headers.get('access-control-allow-origin')).to.equal(null)
    })

    it('answers preflights without credentials', async () => {
      const preflight = await fetch(`${server.url}/v1/chat/completions`, {
        headers: {
          'Access-Control-Request-Headers': 'authorization, content-type',
          'Access-Control-Request-Method': 'POST',
          Origin: ORIGIN,
        },
        method: 'OPTIONS',
      })
      expect(preflight.status).to.equal(204)
      expect(preflight.headers.get('access-control-allow-origin')).to.equal(ORIGIN)
      expect(preflight.headers.get('access-control-allow-methods')).to.include('POST')
      expect(preflight.headers.get('access-control-allow-headers')).to.include('authorization')
    })
  })

  describe('queueing', () => {
    it('answers 503 with Retry-After once the line is full, and serves who waited', async () => {
      const first = new AbortController()
      const running = await startedStream(first)
      const queued = chat({})
      expect(await waitUntilAsync(async () => (await bpeState())?.waiting === 1)).to.equal(true)
      const refused = await chat({})
      expect(refused.status).to.equal(503)
      expect(Number(refused.headers.get('retry-after'))).to.be.at.least(1)
      const body = (await refused.json()) as {error: {code: string; type: string}}
      expect(body.error.code).to.equal('queue_full')
      expect(body.error.type).to.equal('server_error')
      expect((await running.events).at(-1)).to.equal('[DONE]')
      const waited = await queued
      expect(waited.status).to.equal(200)
      expect(((await waited.json()) as {choices: {message: {content: string}}[]}).choices[0]!.message.content).to.equal(
        cases[0]!.text,
      )
    })

    it('a client that disconnects mid-stream frees its slot at once', async () => {
      const controller = new AbortController()
      await startedStream(controller)
      expect((await bpeState())?.active).to.equal(1)
      const abortedAt = Date.now()
      controller.abort()
      // The rest of that answer would take ~1 s; the slot must be free within a couple of token steps.
      expect(await waitUntilAsync(async () => (await bpeState())?.active === 0, 2000)).to.equal(true)
      expect(Date.now() - abortedAt).to.be.below(600)
      expect((await health()).in_flight).to.equal(0)
      const next = await chat({})
      expect(next.status).to.equal(200)
      await waitUntil(() => /error=client_closed/.test(server.stderr()), 2000)
      expect(server.stderr()).to.match(/POST \/v1\/chat\/completions 200 \d+ms id=\S+ error=client_closed/)
    })
  })

  describe('runtime crash', () => {
    it('fails the in-flight request with 503 and serves the next one on a fresh runtime', async () => {
      const before = await health()
      const pid = before.runtime.pid!
      expect(workerPidsOf(server.pid)).to.include(pid)
      const pending = chat({})
      expect(await waitUntilAsync(async () => (await bpeState())?.active === 1)).to.equal(true)
      await delay(200)
      process.kill(pid, 'SIGKILL')
      const failed = await pending
      expect(failed.status).to.equal(503)
      expect(failed.headers.get('retry-after')).to.equal('1')
      expect(((await failed.json()) as {error: {code: string}}).error.code).to.equal('worker_exited')
      const next = await chat({})
      expect(next.status).to.equal(200)
      expect(((await next.json()) as {choices: {message: {content: string}}[]}).choices[0]!.message.content).to.equal(
        cases[0]!.text,
      )
      const after = await health()
      expect(after.runtime.restarts).to.equal(before.runtime.restarts + 1)
      expect(after.runtime.pid).to.not.equal(pid)
      expect(processExists(pid)).to.equal(false)
    })

    it('ends a stream whose runtime dies with an SSE error event and no [DONE]', async () => {
      const controller = new AbortController()
      const stream = await startedStream(controller)
      process.kill((await health()).runtime.pid!, 'SIGKILL')
      const events = await stream.events
      expect(events.at(-1)).to.not.equal('[DONE]')
      const last = JSON.parse(events.at(-1)!) as {error: {code: string; type: string}}
      expect(last.error.code).to.equal('worker_exited')
      expect(last.error.type).to.equal('server_error')
      expect((await chat({})).status).to.equal(200)
    })
  })
})

async function waitUntilAsync(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await delay(20)
  }

  return condition()
}
