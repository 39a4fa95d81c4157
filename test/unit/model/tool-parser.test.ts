import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {takesTools, toolParserOf} from '../../../src/sdk/model/tool-parser.js'

const MODELS = join(import.meta.dirname, '..', '..', 'fixtures', 'models')
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>

describe('tool parser selection read from the files (mlx-lm 0.32 rules)', () => {
  it('agrees with the parser the runtime reports for every committed test model', () => {
    // expected-tools.json names the parser each tool model's `loaded.tool_calling` reports (python tests check it).
    const expected = json(join(MODELS, 'expected-tools.json')) as Record<string, {tool_parser: string}>
    const names = readdirSync(MODELS, {withFileTypes: true}).filter((d) => d.isDirectory())
    for (const {name} of names) {
      const tokenizerConfig = json(join(MODELS, name, 'tokenizer_config.json'))
      const template = typeof tokenizerConfig.chat_template === 'string' ? tokenizerConfig.chat_template : null
      const config = json(join(MODELS, name, 'config.json'))
      const parser = toolParserOf({modelType: config.model_type as string, template, tokenizerConfig})
      expect(parser, name).to.equal(expected[name]?.tool_parser ?? null)
      expect(takesTools(parser, template), name).to.equal(name in expected)
    }
  })

  it('reads the markers in mlx-lm order, then the declared type, then marker tokens', () => {
    const of = (template: null | string, tokenizerConfig: null | Record<string, unknown> = null, modelType = 'x') =>
      toolParserOf({modelType, template, tokenizerConfig})
    expect(of('{{ tools }}<tool_call>\n<function={{ name }}>')).to.equal('qwen3_coder')
    expect(of('{{ tools }}<tool_call>{{ tool_call.name }}')).to.equal('json_tools')
    expect(of('<tool_call> without the name')).to.equal(null)
    expect(of('[TOOL_CALLS]')).to.equal('mistral')
    expect(of('<minimax:tool_call>[TOOL_CALLS]')).to.equal('minimax_m2')
    expect(of('[TOOL_CALLS]', {tool_parser_type: 'pythonic'})).to.equal('pythonic')
    expect(of(null, null, 'muse_spark')).to.equal('muse_spark')
    const added = {1: {content: '<|tool_call_start|>'}, 2: {content: '<|tool_call_end|>'}}
    expect(of('{{ tools }}', {added_tokens_decoder: added})).to.equal('pythonic')
    expect(takesTools('json_tools', '<tool_call>{{ tool_call.name }}')).to.equal(false)
  })
})
