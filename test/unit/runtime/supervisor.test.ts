import {expect} from 'chai'

import {isMlxkError, type MlxkError} from '../../../src/sdk/errors.js'
import {collectGeneration, RuntimeClient, RuntimeSupervisor} from '../../../src/sdk/runtime/index.js'
import {runtimePython, testModelExpectation, testModelPath, waitUntil, processExists} from '../../helpers/runtime.js'

describe('runtime: a worker killed mid-stream', function () {
  this.timeout(120_000)
  const cases = testModelExpectation('tiny-qwen2-bpe').cases
  const request = {messages: cases[0]!.messages, model_id: 'bpe'}
  let supervisor: RuntimeSupervisor

  before(() => {
    supervisor = new RuntimeSupervisor({env: {MLXK_RUNTIME_STEP_DELAY_S: '0.05'}, python: runtimePython()})
  })

  after(async () => {
    await supervisor?.close()
  })

  it('fails the open stream with worker_exited, then restarts and reloads on the next request', async () => {
    await supervisor.load({modelId: 'bpe', modelPath: testModelPath('tiny-qwen2-bpe')})
    const first = await supervisor.client()
    const pid = first.pid!

    let thrown: MlxkError | undefined
    let tokens = 0
    const streaming = (async () => {
      try {
        for await (const event of first.generate(request)) {
          if (event.event !== 'token') continue
          tokens += 1
          if (tokens === 2) process.kill(pid, 'SIGKILL')
        }
      } catch (error) {
        if (!isMlxkError(error)) throw error
        thrown = error
      }
    })()
    await streaming

    expect(thrown?.type).to.equal('worker_exited')
    expect(thrown?.details).to.include({pid, signal: 'SIGKILL'})
    expect(thrown?.message).to.include('SIGKILL')
    expect(first.alive).to.equal(false)
    expect(await waitUntil(() => !processExists(pid), 5000)).to.equal(true)

    // The dead client itself refuses further requests with the same error.
    let direct: unknown
    try {
      await first.ping()
    } catch (error) {
      direct = error
    }

    expect((direct as MlxkError).type).to.equal('worker_exited')

    // Next request through the supervisor: a new worker with the model loaded again.
    const collected = await collectGeneration(supervisor.generate(request))
    expect(collected.content).to.equal(cases[0]!.text)
    expect(supervisor.restarts).to.equal(1)
    const second = await supervisor.client()
    expect(second.pid).to.not.equal(pid)
    expect(supervisor.loadedModels).to.deep.equal([{modelId: 'bpe', modelPath: testModelPath('tiny-qwen2-bpe')}])
  })

  it('starts only one worker when several requests arrive after a crash', async () => {
    const client = await supervisor.client()
    process.kill(client.pid!, 'SIGKILL')
    await waitUntil(() => !client.alive, 5000)
    const clients = await Promise.all([supervisor.client(), supervisor.client(), supervisor.client()])
    expect(new Set(clients).size).to.equal(1)
    expect(supervisor.restarts).to.equal(2)
  })

  it('fails every open request when a plain client dies', async () => {
    const client = await RuntimeClient.start({python: runtimePython()})
    try {
      const pings = [client.ping(), client.info()]
      process.kill(client.pid!, 'SIGKILL')
      const results = await Promise.allSettled(pings)
      // A ping may be answered before the kill lands; whatever was still open fails with worker_exited.
      for (const result of results) {
        if (result.status === 'rejected') expect((result.reason as MlxkError).type).to.equal('worker_exited')
      }

      expect(await waitUntil(() => !client.alive, 5000)).to.equal(true)
      expect(client.exit).to.deep.include({signal: 'SIGKILL'})
    } finally {
      await client.close()
    }
  })
})
