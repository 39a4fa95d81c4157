import {expect} from 'chai'
import {copyFileSync, mkdirSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {tempCacheRoot} from '../helpers/fixture-cache.js'
import {ROOT, runMlxk} from '../helpers/run-cli.js'
import {testModelExpectation, testModelPath} from '../helpers/runtime.js'
import {assertValidEnvelope} from '../helpers/schemas.js'
import {
  buildServerCache,
  getJson,
  postJson,
  readSse,
  type RunningServer,
  startServer,
  testModelId,
} from '../helpers/server.js'

interface Health {
  models: {active: number; id: string; loaded: boolean}[]
}

type Chunk = {choices: {delta: {content?: string}}[]}

/** What a user gets from `mlxk serve` without reading every flag (issue 18, items 3 and 4). */
describe('mlxk server: defaults a user relies on', function () {
  this.timeout(120_000)
  const cases = testModelExpectation('tiny-qwen2-bpe').cases
  let hubCache: string
  let server: RunningServer | undefined

  before(async () => {
    hubCache = await buildServerCache(['tiny-qwen2-bpe'])
  })

  afterEach(async () => {
    await server?.stop('SIGKILL')
    server = undefined
  })

  describe('--model FOLDER', () => {
    it('serves a folder given to --model alone (relative path, as `mlxk run ./folder` takes it)', async () => {
      // startServer runs from the repository root, so this is a `./…` path as a user would type it.
      const folder = './' + relative(ROOT, testModelPath('tiny-qwen2-bpe'))
      server = await startServer({args: ['--model', folder], hubCache})
      const started = JSON.parse(server.stdout().split('\n')[0]!) as {data: {models: string[]}}
      expect(started.data.models).to.deep.equal([folder])
      const health = (await getJson<Health>(`${server.url}/health`)).body
      expect(health.models.filter((m) => m.loaded).map((m) => m.id)).to.deep.equal([folder])
      const listed = (await getJson<{data: {id: string}[]}>(`${server.url}/v1/models`)).body
      expect(listed.data.map((m) => m.id)).to.include(folder)
      const response = await postJson(`${server.url}/v1/chat/completions`, {
        messages: cases[0]!.messages,
        model: folder,
        temperature: 0,
      })
      const body = (await response.json()) as {choices: {message: {content: string}}[]}
      expect(response.status, JSON.stringify(body)).to.equal(200)
      expect(body.choices[0]!.message.content).to.equal(cases[0]!.text)
    })

    it('refuses an unhealthy folder given to --model before listening, with the health verdict', async () => {
      const source = testModelPath('tiny-qwen2-bpe')
      const folder = join(tempCacheRoot(), 'broken-folder')
      mkdirSync(folder, {recursive: true})
      for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
        copyFileSync(join(source, name), join(folder, name))
      }

      writeFileSync(join(folder, 'model.safetensors'), '')
      const result = await runMlxk(['server', '--port', '0', '--json', '--model', folder], {
        env: {MLXK_ALPHA: 'server'},
        hubCache,
      })
      expect(result.exitCode).to.not.equal(0)
      assertValidEnvelope(result.json)
      expect(result.json!.error!.type).to.equal('model_unhealthy')
    })
  })

  describe('concurrency', () => {
    it('runs concurrent requests for one model at once without --parallel (batched), with the same answers', async () => {
      server = await startServer({
        args: ['--model', testModelId('tiny-qwen2-bpe')],
        // Slow steps make the streams long enough to overlap on any machine.
        env: {MLXK_RUNTIME_STEP_DELAY_S: '0.1'},
        hubCache,
      })
      const s = server
      const firstAt: number[] = []
      const doneAt: number[] = []
      const streams = [0, 4].map(async (index) => {
        const response = await postJson(`${s.url}/v1/chat/completions`, {
          messages: cases[index]!.messages,
          model: testModelId('tiny-qwen2-bpe'),
          stream: true,
          temperature: 0,
        })
        let first = true
        const events = await readSse(response, (data) => {
          if (first && data.includes('"content":"') && !data.includes('"content":""')) {
            first = false
            firstAt.push(Date.now())
          }
        })
        doneAt.push(Date.now())
        expect(events.at(-1)).to.equal('[DONE]')
        const text = events
          .slice(0, -1)
          .map((e) => (JSON.parse(e) as Chunk).choices[0]?.delta.content ?? '')
          .join('')
        expect(text).to.equal(cases[index]!.text)
      })
      await Promise.all(streams)
      // One at a time, the second stream's first token would come only after the first stream ended.
      expect(Math.max(...firstAt)).to.be.below(Math.min(...doneAt))
    })
  })
})
