import type {AnswerFinishReason, ShardingInfo, ToolCall, Topology} from 'mlxk/sdk/runtime'

/**
 * `mlxk run --json` data (schemas/run.schema.json). Upstream's `model`, `prompt` and `response` keep their
 * meaning (`model` is the spec as typed); everything else is added.
 */
export interface RunData {
  /** The group the model ran on with --hosts/--hostfile (docs/distributed.md); null on one machine. */
  distributed: null | {sharding: null | ShardingInfo; topology: Topology}
  /** `tool_calls` when the model ended its turn after calling tools (`--tools`). */
  finish_reason: 'cancelled' | AnswerFinishReason
  /** Seconds from the request to the last token (the worker's `total_s`). */
  generation_time_s: number
  model: string
  prompt: string
  /** The model's reasoning (`<think>` block), trimmed; null when it produced none. Never part of `response`. */
  reasoning: null | string
  /** Which model actually ran. */
  resolved: {commit: null | string; kind: 'cache' | 'workspace'; name: string}
  /** The answer, trimmed as upstream's batch output was. */
  response: string
  timing: {load_time_s: number; tokens_per_s: number; ttft_s: number}
  /** Only with `--tools`: the calls, as the server's `message.tool_calls`. */
  tool_calls?: ToolCall[]
  /** = usage.completion_tokens (upstream's schema named this field but never emitted it). */
  tokens_generated: number
  usage: {completion_tokens: number; prompt_tokens: number}
}
