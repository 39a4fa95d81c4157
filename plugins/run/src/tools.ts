import {readFileSync} from 'node:fs'

import {usageError} from 'mlxk/sdk'
import type {ToolCall, ToolChoice, ToolDefinition, ToolParams} from 'mlxk/sdk/runtime'

/**
 * `--tools FILE` (a JSON list of OpenAI function tools) and `--tool-choice`: what the runtime gets. The runtime
 * checks the tools themselves (names, parameters) and the model's support for them.
 */
export function toolParamsOf(file: string | undefined, choice: string | undefined): ToolParams | undefined {
  if (file === undefined) {
    if (choice !== undefined) throw usageError('--tool-choice needs --tools')
    return undefined
  }

  let tools: unknown
  try {
    tools = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw usageError(`--tools ${file}: ${error instanceof Error ? error.message : String(error)}`)
  }

  if (!Array.isArray(tools) || !tools.every((t) => typeof t === 'object' && t !== null && !Array.isArray(t))) {
    throw usageError(`--tools ${file} must hold a JSON list of tools ({"type": "function", "function": {...}})`)
  }

  const params: ToolParams = {tools: tools as ToolDefinition[]}
  if (choice !== undefined) params.tool_choice = toolChoiceOf(choice)
  return params
}

/** `auto`, `none`, `required`, or a tool's name (that tool must be called). */
function toolChoiceOf(value: string): ToolChoice {
  if (value === 'auto' || value === 'none' || value === 'required') return value
  return {function: {name: value}, type: 'function'}
}

/** One line per call for people: the name, then the arguments as the model wrote them (JSON). */
export function formatToolCall(call: ToolCall): string {
  return `${call.function.name} ${call.function.arguments}`
}
