import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {packageRoot} from '../../src/sdk/runtime/index.js'
import {runMlxk} from '../helpers/run-cli.js'
import {assertValidEnvelope} from '../helpers/schemas.js'
import {buildServerCache} from '../helpers/server.js'

interface RunToolsJson {
  finish_reason: string
  response: string
  tool_calls: {function: {arguments: string; name: string}; id: string; type: string}[]
}

/** `mlxk run MODEL PROMPT --tools FILE`: the calls a trained tool model makes, for people and in --json. */
describe('mlxk run --tools (real runtime)', function () {
  this.timeout(60_000)
  let env: Record<string, string>
  let toolsFile: string

  before(async () => {
    env = {HF_HUB_CACHE: await buildServerCache(['tiny-qwen2-tools']), MLXK_ALPHA: 'run'}
    const expected = JSON.parse(
      readFileSync(join(packageRoot(), 'test', 'fixtures', 'models', 'expected-tools.json'), 'utf8'),
    ) as Record<string, {cases: {tools?: unknown[]}[]}>
    toolsFile = join(mkdtempSync(join(tmpdir(), 'mlxk-tools-')), 'tools.json')
    writeFileSync(toolsFile, JSON.stringify(expected['tiny-qwen2-tools']!.cases[0]!.tools))
  })

  const run = (...args: string[]) =>
    runMlxk(['run', 'tiny-qwen2-tools', ...args, '--temperature', '0', '--tools', toolsFile], {env})

  it('prints one line per call, and --json has the calls as the server shapes them', async () => {
    const human = await run('Weather in Paris and Tokyo?')
    expect(human.exitCode, human.stderr).to.equal(0)
    expect(human.stdout).to.equal('get_weather {"city": "Paris"}\nget_weather {"city": "Tokyo"}\n')

    const r = await run('Check the time in Oslo.', '--json')
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'run')
    const data = r.json!.data as unknown as RunToolsJson
    expect(data.finish_reason).to.equal('tool_calls')
    expect(data.response).to.equal('Let me look.')
    expect(data.tool_calls).to.have.length(1)
    expect(data.tool_calls[0]).to.deep.include({type: 'function'})
    expect(data.tool_calls[0]!.function).to.deep.equal({arguments: '{"city": "Oslo"}', name: 'get_time'})
  })

  it('--tool-choice forces a call on a prompt the model answers in prose; refusals are usage errors', async () => {
    const prose = await run('Who are you?', '--json')
    expect((prose.json!.data as unknown as RunToolsJson).tool_calls).to.deep.equal([])
    const forced = await run('Who are you?', '--tool-choice', 'get_time', '--json')
    expect(forced.exitCode, forced.stderr).to.equal(0)
    const data = forced.json!.data as unknown as RunToolsJson
    expect(data.finish_reason).to.equal('tool_calls')
    expect(data.tool_calls.map((c) => c.function.name)).to.deep.equal(['get_time'])

    const noTemplate = await run('Who are you?', '--no-chat-template')
    expect(noTemplate.exitCode).to.equal(2)
    const badFile = await runMlxk(['run', 'tiny-qwen2-tools', 'Hi', '--tools', '/nonexistent.json'], {env})
    expect(badFile.exitCode).to.equal(2)
    expect(badFile.stderr).to.include('--tools /nonexistent.json')
  })
})
