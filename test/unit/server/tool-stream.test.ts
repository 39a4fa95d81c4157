import {expect} from 'chai'

import {loadServer} from './load.js'

type Presenters = typeof import('../../../plugins/server/lib/serve/openai/presenters.js')
type CallStreams = typeof import('../../../plugins/server/lib/serve/openai/call-stream.js')

const piece = (text: string, channel: 'content' | 'reasoning' = 'content') => ({channel, raw: text, text})
const call = (index: number) => ({
  ...piece(''),
  toolCall: {call: {function: {arguments: '{}', name: 'f'}, id: `call_${index}`, type: 'function' as const}, index},
})

describe('server: streamed tool calls', () => {
  let presenters: Presenters
  let streams: CallStreams

  before(async () => {
    await loadServer()
    const src = (path: string) => import(new URL(`../../../plugins/server/src/serve/${path}`, import.meta.url).href)
    presenters = (await src('openai/presenters.ts')) as Presenters
    streams = (await src('openai/call-stream.ts')) as CallStreams
  })

  it('sends id, type and name first, then the arguments in pieces that never split a character', () => {
    const args = JSON.stringify({city: 'Zürich 🙂🙂🙂🙂🙂🙂🙂', days: [1, 2, 3]})
    const deltas = presenters.presentToolCallDeltas({
      call: {function: {arguments: args, name: 'get_weather'}, id: 'call_1', type: 'function'},
      index: 2,
    })
    expect(deltas[0]).to.deep.equal({
      function: {arguments: '', name: 'get_weather'},
      id: 'call_1',
      index: 2,
      type: 'function',
    })
    const rest = deltas.slice(1)
    expect(rest.length).to.be.greaterThan(1)
    expect(rest.every((d) => d.index === 2 && d.id === undefined && d.function.name === undefined)).to.equal(true)
    expect(rest.map((d) => d.function.arguments).join('')).to.equal(args)
    for (const d of rest) expect(d.function.arguments).to.equal(Buffer.from(d.function.arguments).toString())
  })

  it('holds blank content beside calls, as the non-streamed message says content null', () => {
    const withCalls = new streams.CallStream(true)
    const out = [piece('\n\n'), call(0), piece('\n'), call(1)].flatMap((p) => withCalls.push(p))
    expect([...out, ...withCalls.end()].map((p) => p.text)).to.deep.equal(['', ''])
    expect(withCalls.calls).to.equal(2)

    const textFirst = new streams.CallStream(true)
    const sent = [piece('\n'), piece('Let me look.'), piece('\n'), call(0)].flatMap((p) => textFirst.push(p))
    expect(sent.map((p) => p.text)).to.deep.equal(['\n', 'Let me look.', '\n', ''])

    const noCalls = new streams.CallStream(true)
    expect([piece('\n')].flatMap((p) => noCalls.push(p))).to.deep.equal([])
    expect(noCalls.end().map((p) => p.text)).to.deep.equal(['\n'])
    expect(new streams.CallStream(false).push(piece(' '))).to.have.length(1)
  })
})
