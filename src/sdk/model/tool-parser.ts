import {isRecord} from './snapshot-reader.js'

/**
 * The tool-call parser mlx-lm 0.32 selects for a model (`tokenizer_utils.load` and `_infer_tool_parser`), read from
 * the files alone, so that listings can say which models take tools without starting the runtime. Order:
 * `tool_parser_type` in tokenizer_config.json, the model type's own default, the chat template's markers, then
 * marker tokens (here: the added tokens tokenizer_config.json declares). The runtime's `loaded.tool_calling` is the
 * authority; tests check that both agree on the fixtures.
 */
const TEMPLATE_MARKERS: [parser: string, test: (template: string) => boolean][] = [
  ['minimax_m2', (t) => t.includes('<minimax:tool_call>')],
  ['gemma4', (t) => t.includes('<|tool_call>') && t.includes('<tool_call|>')],
  ['function_gemma', (t) => t.includes('<start_function_call>')],
  ['longcat', (t) => t.includes('<longcat_tool_call>')],
  ['glm47', (t) => t.includes('<arg_key>')],
  ['pythonic', (t) => t.includes('<|tool_list_start|>') || t.includes('<|tool_call_start|>')],
  ['qwen3_coder', (t) => t.includes('<tool_call>\\n<function=') || t.includes('<tool_call>\n<function=')],
  ['kimi_k2', (t) => t.includes('<|tool_calls_section_begin|>')],
  ['minicpm5', (t) => t.includes('<function name="') && t.includes('<param name="')],
  ['mistral', (t) => t.includes('[TOOL_CALLS]')],
  ['muse_spark', (t) => t.includes('<atem:function_calls>')],
  ['json_tools', (t) => t.includes('<tool_call>') && t.includes('tool_call.name')],
]

/** Model types whose mlx-lm module sets `TOKENIZER_DEFAULTS.tool_parser_type`. */
const MODEL_TYPE_PARSERS: Record<string, string> = {muse_spark: 'muse_spark'}

export function toolParserOf(input: {
  modelType: null | string
  template: null | string
  tokenizerConfig: null | Record<string, unknown>
}): null | string {
  const declared = input.tokenizerConfig?.tool_parser_type
  if (typeof declared === 'string' && declared !== '') return declared
  const byType = input.modelType === null ? undefined : MODEL_TYPE_PARSERS[input.modelType]
  if (byType) return byType
  const {template} = input
  if (template !== null) {
    for (const [parser, test] of TEMPLATE_MARKERS) if (test(template)) return parser
  }

  const tokens = addedTokens(input.tokenizerConfig)
  if (['<|open|>', '<|close|>', '<|sep|>', '<|end_of_msg|>'].every((t) => tokens.has(t))) return 'kimi_k3'
  if (tokens.has('<|tool_call_start|>') && tokens.has('<|tool_call_end|>')) return 'pythonic'
  return null
}

/** Whether the runtime accepts tools for the model: a parser, and a template that renders `tools`. */
export function takesTools(parser: null | string, template: null | string): boolean {
  return parser !== null && template !== null && template.includes('tools')
}

function addedTokens(tokenizerConfig: null | Record<string, unknown>): Set<string> {
  const decoder = tokenizerConfig?.added_tokens_decoder
  if (!isRecord(decoder)) return new Set()
  return new Set(
    Object.values(decoder).flatMap((t) => (isRecord(t) && typeof t.content === 'string' ? [t.content] : [])),
  )
}
