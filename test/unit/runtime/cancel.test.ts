import {expect} from 'chai'
import {setTimeout as delay} from 'node:timers/promises'

import {collectGeneration, type GenerateEvent, RuntimeClient} from '../../../src/sdk/runtime/index.js'
import {runtimePython, testModelExpectation, testModelPath} from '../../helpers/runtime.js'

describe('runtime client: cancellation and interleaving (slowed worker)', function () {
  this.timeout(120_000)
  let client: RuntimeClient
  const cases = testModelExpectation('tiny-qwen2-bpe').cases
  const prompt = (index: number) => ({messages: cases[index]!.messages, model_id: 'bpe'})

  before(async () => {
    // 50 ms per step makes a tiny model slow enough to cancel or interleave on purpose.
    client = await RuntimeClient.start({env: {MLXK_RUNTIME_STEP_DELAY_S: '0.05'}, python: runtimePython()})
    await client.load({modelId: 'bpe', modelPath: testModelPath('tiny-qwen2-bpe')})
  })

  after(async () => {
    await client?.close()
  })

  it('ends the stream with done "cancelled" when the AbortSignal fires, then serves the next request', async () => {
    const controller = new AbortController()
    const seen: GenerateEvent[] = []
    for await (const event of client.generate(prompt(0), {signal: controller.signal})) {
      seen.push(event)
      if (event.event === 'token') controller.abort()
    }

    const done = seen.at(-1)
    expect(done?.event).to.equal('done')
    if (done?.event !== 'done') return
    expect(done.finish_reason).to.equal('cancelled')
    expect(done.usage.completion_tokens).to.be.lessThan(11)
    const text = seen.map((event) => (event.event === 'token' ? event.text : '')).join('')
    expect(cases[0]!.text.startsWith(text)).to.equal(true)

    const next = await collectGeneration(client.generate(prompt(0)))
    expect(next.content).to.equal(cases[0]!.text)
    expect(next.done.finish_reason).to.equal('stop')
  })

  it('refuses to start when the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    let thrown: unknown
    try {
      for await (const _event of client.generate(prompt(0), {signal: controller.signal})) break
    } catch (error) {
      thrown = error
    }

    expect((thrown as Error | undefined)?.name).to.equal('AbortError')
  })

  it('cancels on the worker when the consumer breaks out of the loop', async () => {
    let id: string | undefined
    for await (const event of client.generate(prompt(0))) {
      id = event.id
      if (event.event === 'token') break
    }

    // Left running, this generation would go on for about half a second more.
    await delay(200)
    expect((await client.cancel(id!)).found).to.equal(false)
  })

  it('interleaves two concurrent generations token by token', async () => {
    const order: string[] = []
    const run = async (index: number) => {
      const stream = client.generate(prompt(index))
      let content = ''
      for await (const event of stream) {
        if (event.event === 'token') {
          order.push(String(index))
          content += event.text
        }
      }

      return content
    }

    const [a, b] = await Promise.all([run(0), run(1)])
    expect(a).to.equal(cases[0]!.text)
    expect(b).to.equal(cases[1]!.text)
    // Round-robin: the second stream's first token comes before the first stream's last one.
    expect(order.indexOf('1')).to.be.lessThan(order.lastIndexOf('0'))
  })
})
