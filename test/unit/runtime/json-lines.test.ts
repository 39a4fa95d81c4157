import {expect} from 'chai'
import {once} from 'node:events'
import {mkdtempSync} from 'node:fs'
import {createServer, connect, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {AsyncQueue} from '../../../src/sdk/runtime/async-queue.js'
import {LineSplitter, parseJsonObjectLine} from '../../../src/sdk/runtime/json-lines.js'

describe('runtime: line framing', () => {
  it('joins lines split across chunks and keeps the unfinished tail', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('{"a":')).to.deep.equal([])
    expect(splitter.push('1}\n{"b"')).to.deep.equal(['{"a":1}'])
    expect(splitter.push(':2}\n\n{"c":3}\n')).to.deep.equal(['{"b":2}', '', '{"c":3}'])
    expect(splitter.pending).to.equal('')
  })

  it('parses only JSON objects', () => {
    expect(parseJsonObjectLine('{"event":"pong","id":"1"}')).to.deep.equal({event: 'pong', id: '1'})
    for (const line of ['', '[1]', '"x"', 'null', '{broken']) expect(parseJsonObjectLine(line)).to.equal(undefined)
  })

  it('keeps a multi-byte character intact when a socket chunk ends inside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxk-lines-'))
    const path = join(dir, 's')
    const server = createServer()
    server.listen(path)
    await once(server, 'listening')
    const accepted = once(server, 'connection') as Promise<[Socket]>
    const writer = connect(path)
    const [reader] = await accepted
    reader.setEncoding('utf8')
    const splitter = new LineSplitter()
    const lines: string[] = []
    reader.on('data', (chunk: string) => lines.push(...splitter.push(chunk)))

    const bytes = Buffer.from(JSON.stringify({text: 'naïve 你好 🙂'}) + '\n', 'utf8')
    const emoji = bytes.indexOf(Buffer.from('🙂', 'utf8'))
    // Each write is flushed separately, so the reader sees chunks that cut 你 and 🙂 in half.
    const cuts = [bytes.indexOf(Buffer.from('你', 'utf8')) + 1, emoji + 2, bytes.length]
    let from = 0
    for (const cut of cuts) {
      writer.write(bytes.subarray(from, cut))
      from = cut
      await new Promise((resolve) => setTimeout(resolve, 20))
    }

    writer.end()
    await once(reader, 'end')
    server.close()
    expect(lines.map((line) => parseJsonObjectLine(line))).to.deep.equal([{text: 'naïve 你好 🙂'}])
  })
})

describe('runtime: async queue', () => {
  it('delivers buffered items before the end or the failure', async () => {
    const queue = new AsyncQueue<number>()
    const first = queue.next()
    queue.push(1)
    queue.push(2)
    queue.fail(new Error('boom'))
    queue.push(3)
    expect(await first).to.deep.equal({done: false, value: 1})
    expect(await queue.next()).to.deep.equal({done: false, value: 2})
    let error: unknown
    try {
      await queue.next()
    } catch (error_) {
      error = error_
    }

    expect((error as Error).message).to.equal('boom')
  })

  it('ends normally', async () => {
    const queue = new AsyncQueue<string>()
    const waiting = queue.next()
    queue.end()
    expect(await waiting).to.deep.equal({done: true, value: undefined})
  })
})
