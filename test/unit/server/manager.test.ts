import {expect} from 'chai'
import {setTimeout as delay} from 'node:timers/promises'

import {FakeRuntime} from './fake-runtime.js'
import {loadServer} from './load.js'

type Server = Awaited<ReturnType<typeof loadServer>>
type Metrics = InstanceType<Server['metrics']['ServerMetrics']>

describe('server: model manager (fake runtime)', () => {
  let s: Server
  const A = {context_length: 64, created: 0, id: 'org/a', kind: 'cache' as const, path: '/a'}
  const B = {context_length: 64, created: 0, id: 'org/b', kind: 'cache' as const, path: '/b'}

  before(async () => {
    s = await loadServer()
  })

  const make = (
    runtime: FakeRuntime,
    options: {keepAliveMs?: number; maxLoaded?: number; maxQueue?: number; metrics?: Metrics; parallel?: number} = {},
  ) =>
    new s.manager.ModelManager({
      keepAliveMs: options.keepAliveMs ?? -1,
      maxLoaded: options.maxLoaded ?? 1,
      maxQueue: options.maxQueue ?? 8,
      metrics: options.metrics ?? new s.metrics.ServerMetrics(),
      parallel: options.parallel ?? 1,
      runtime,
    })

  it('concurrent requests for a model that is loading share one load', async () => {
    const runtime = new FakeRuntime({loadDelayMs: 50})
    const manager = make(runtime, {parallel: 3})
    const leases = await Promise.all([manager.acquire(A), manager.acquire(A), manager.acquire(A)])
    expect(runtime.loads).to.deep.equal(['org/a'])
    for (const lease of leases) lease.release()
  })

  it('queues beyond the slots and refuses beyond --max-queue with a Retry-After estimate', async () => {
    const manager = make(new FakeRuntime(), {maxQueue: 1})
    const first = await manager.acquire(A)
    const second = manager.acquire(A)
    let thrown: unknown
    try {
      await manager.acquire(A)
    } catch (error) {
      thrown = error
    }

    expect(thrown).to.be.instanceOf(s.manager.OverloadedError)
    expect((thrown as {retryAfterS: number}).retryAfterS).to.be.at.least(1)
    first.release()
    ;(await second).release()
  })

  it('a waiter whose client leaves gives its place up at once', async () => {
    const manager = make(new FakeRuntime(), {maxQueue: 1})
    const first = await manager.acquire(A)
    const controller = new AbortController()
    const waiting = manager.acquire(A, controller.signal)
    controller.abort(new Error('gone'))
    let thrown: unknown
    try {
      await waiting
    } catch (error) {
      thrown = error
    }

    expect((thrown as Error).message).to.equal('gone')
    // The line is empty again: another request may queue.
    const next = manager.acquire(A)
    first.release()
    ;(await next).release()
  })

  it('never evicts a busy model: a load beyond --max-loaded waits until the resident one is idle', async () => {
    const runtime = new FakeRuntime()
    const manager = make(runtime, {maxLoaded: 1})
    const busy = await manager.acquire(A)
    let gotB = false
    const forB = manager.acquire(B).then((lease) => {
      gotB = true
      return lease
    })
    await delay(30)
    expect(gotB).to.equal(false)
    expect(runtime.unloads).to.deep.equal([])
    busy.release()
    ;(await forB).release()
    expect(runtime.unloads).to.deep.equal(['org/a'])
    expect(runtime.loads).to.deep.equal(['org/a', 'org/b'])
  })

  it('unloads an idle model after --keep-alive, but not a preloaded one', async () => {
    const runtime = new FakeRuntime()
    const manager = make(runtime, {keepAliveMs: 20, maxLoaded: 2})
    await manager.preload(A)
    ;(await manager.acquire(A)).release()
    ;(await manager.acquire(B)).release()
    await delay(60)
    expect(runtime.unloads).to.deep.equal(['org/b'])
    expect(manager.snapshot().map((m) => m.id)).to.deep.equal(['org/a'])
  })

  it("shows a model's prompt cache from its last generation, and none once the model is unloaded", async () => {
    const metrics = new s.metrics.ServerMetrics()
    const runtime = new FakeRuntime({promptCache: {disabled_reason: null, max_bytes: 1000}})
    const manager = make(runtime, {keepAliveMs: 0, metrics})
    const lease = await manager.acquire(A)
    const view = () => manager.snapshot()[0]?.prompt_cache
    expect(view()).to.deep.equal({bytes: 0, disabled_reason: null, entries: 0, max_bytes: 1000})
    manager.notePromptCache('org/a', {bytes: 600, entries: 2, evicted: 1})
    expect(view()).to.deep.equal({bytes: 600, disabled_reason: null, entries: 2, max_bytes: 1000})
    expect(metrics.render()).to.include('mlxk_prompt_cache_bytes{model="org/a"} 600')
    lease.release()
    await delay(20)
    expect(runtime.unloads).to.deep.equal(['org/a'])
    expect(metrics.render()).to.include('mlxk_prompt_cache_bytes{model="org/a"} 0')
  })

  it('refuses new work after close and fails whoever waits', async () => {
    const manager = make(new FakeRuntime())
    const first = await manager.acquire(A)
    const waiting = manager.acquire(A).catch((error: unknown) => error)
    manager.close()
    expect(await waiting).to.be.instanceOf(s.inflight.ShutdownAbortError)
    first.release()
  })
})
