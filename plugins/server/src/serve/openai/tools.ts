import type {ChatMessage, ToolDefinition, ToolParams} from 'mlxk/sdk/runtime'

import {badRequest, unsupported} from '../api-error.js'
import type {ChatRequest, ChatRequestMessage} from './request.js'

/**
 * Tool calling on /v1/chat/completions. What only the model can say (whether its template takes tools, whether its
 * call format can be forced) comes back from the runtime as `tools_not_supported` and `tool_choice_not_supported`;
 * what the request alone decides is refused here.
 */
export function rejectUnsupportedTools(body: ChatRequest, stops: string[]): void {
  const tools = body.tools ?? []
  for (const [i, tool] of tools.entries()) {
    if (tool.type !== 'function') {
      throw unsupported(`tools[${i}].type`, `Only function tools are supported, not '${tool.type}'`)
    }

    if (!tool.function) throw badRequest(`tools[${i}].function is required`, `tools[${i}].function`)
  }

  const names = tools.map((t) => t.function?.name)
  if (new Set(names).size !== names.length) throw badRequest('Each tool needs its own name', 'tools')
  const choice = body.tool_choice
  if (!isForced(choice)) return
  if (tools.length === 0) throw badRequest('tool_choice requires a call, but no tools were given', 'tool_choice')
  if (typeof choice === 'object' && choice !== null && !names.includes(choice.function.name)) {
    throw badRequest(`tool_choice names '${choice.function.name}', which is not one of the tools`, 'tool_choice')
  }

  // A stop string could cut the call the grammar forces.
  if (stops.length > 0) throw unsupported('stop', 'stop cannot be combined with a forced tool_choice')
}

function isForced(choice: ChatRequest['tool_choice']): boolean {
  return choice === 'required' || (typeof choice === 'object' && choice !== null)
}

/** The runtime's tool fields; none for `tools: []`, the explicit default. */
export function toolParams(body: ChatRequest): ToolParams {
  const tools = body.tools ?? []
  if (tools.length === 0) return {}
  const params: ToolParams = {tools: tools as ToolDefinition[]}
  if (body.tool_choice !== undefined && body.tool_choice !== null) params.tool_choice = body.tool_choice
  if (body.parallel_tool_calls === false) params.parallel_tool_calls = false
  return params
}

/** One request message for the runtime: calls and tool results kept, null content as the empty string. */
export function runtimeMessage(m: ChatRequestMessage): ChatMessage {
  const message: ChatMessage = {
    content: typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text ?? '').join(''),
    // OpenAI's newer name for the system role; chat templates only know `system`.
    role: m.role === 'developer' ? 'system' : m.role,
  }
  if (m.tool_calls && m.tool_calls.length > 0) message.tool_calls = m.tool_calls
  if (m.tool_call_id !== undefined) message.tool_call_id = m.tool_call_id
  if (m.name !== undefined && m.role === 'tool') message.name = m.name
  return message
}
