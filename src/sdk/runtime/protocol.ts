/**
 * Types of runtime protocol 1 (docs/runtime-protocol.md), the JSON-lines contract between the CLI and the Python
 * worker. Field names keep the wire's snake_case so a message can be checked against the doc at a glance.
 * The worker may add fields within protocol 1, so every event is open to extra keys at runtime.
 */
export const PROTOCOL_VERSION = 1

// ---- Requests (client → worker) ----

export interface TextPart {
  text: string
  type: 'text'
}

export interface ChatMessage {
  content: string | TextPart[]
  /** A tool result's function name (optional, as OpenAI's legacy `function` role had it). */
  name?: string
  role: string
  /** A tool result (`role: "tool"`): the call it answers. */
  tool_call_id?: string
  /** An assistant turn's calls, arguments as the JSON string OpenAI sends (§3.7). */
  tool_calls?: ToolCall[]
}

/** One call, in OpenAI's shape: `arguments` is a JSON object as a string. */
export interface ToolCall {
  function: {arguments: string; name: string}
  id: string
  type: 'function'
}

/** An OpenAI function tool; `parameters` is a JSON Schema object (absent: no parameters). */
export interface ToolDefinition {
  function: {description?: string; name: string; parameters?: Record<string, unknown>; strict?: boolean | null}
  type: 'function'
}

export type ToolChoice = 'auto' | 'none' | 'required' | {function: {name: string}; type: 'function'}

/** Tool calling (§3.7); only with `messages`. */
export interface ToolParams {
  /** false: at most one call. Default true. */
  parallel_tool_calls?: boolean
  /** Default `auto`; `required` and a named tool are enforced by a grammar. */
  tool_choice?: ToolChoice
  tools?: ToolDefinition[]
}

/**
 * Constrained decoding (§2.4, docs/structured-output.md): the answer follows the grammar token by token.
 * `grammar` is a Lark grammar (llguidance's dialect); `@name` in it refers to a JSON schema in `schemas`, which
 * gets the same whitespace bound as `json_schema` (an inline `%json {…}` does not).
 */
export type Constraint =
  | {lark: string; schemas?: Record<string, Record<string, unknown>>; type: 'grammar'}
  | {schema: Record<string, unknown>; type: 'json_schema'}
  | {type: 'json_object'}

export interface SamplingParams {
  /** Render with the tokenizer's chat template; defaults to true with `messages`, false with `prompt`. */
  chat_template?: boolean
  /** Constrain the answer to a JSON object, a JSON schema or a grammar; cannot be combined with `stop`. */
  constraint?: Constraint
  /** OpenAI's additive penalty per occurrence of a token in the last 20 tokens; -2..2, 0 = off. */
  frequency_penalty?: number
  /** Token id (as a decimal string) → additive bias in -100..100. */
  logit_bias?: Record<string, number>
  /** Token events carry `logprobs` entries (§2.4). */
  logprobs?: boolean
  /** Omitted or null: as much as fits in the context (§3.1). */
  max_tokens?: null | number
  min_p?: number
  /** OpenAI's additive penalty for a token present in the last 20 tokens; -2..2, 0 = off. */
  presence_penalty?: number
  repetition_penalty?: number
  seed?: null | number
  stop?: string[]
  temperature?: number
  top_k?: number
  /** With `logprobs`: how many of the most likely alternatives each entry lists, 0..20. */
  top_logprobs?: number
  top_p?: number
}

/** Exactly one of `messages` and `prompt`. */
export type GenerateInput = {messages: ChatMessage[]; prompt?: never} | {messages?: never; prompt: string}

export type GenerateParams = GenerateInput & SamplingParams & ToolParams & {model_id: string}

export interface InfoRequest {
  id: string
  op: 'info'
}

export interface LoadRequest {
  id: string
  model_id?: string
  model_path: string
  op: 'load'
  /** In a distributed group: the model's path on each rank's host, by rank (default: `model_path` everywhere). */
  rank_model_paths?: string[]
  /** What the client's inspection says the model is; default: what its files say (§2.8). */
  kind?: ModelRuntimeKind
}

export interface UnloadRequest {
  id: string
  model_id: string
  op: 'unload'
}

export type GenerateRequest = GenerateParams & {id: string; op: 'generate'}

export interface EmbedParams {
  /** Matryoshka: the leading `dimensions` of each vector, renormalised; only where the model declares it. */
  dimensions?: number
  input: string[]
  model_id: string
}

export type EmbedRequest = EmbedParams & {id: string; op: 'embed'}

export interface CancelRequest {
  id: string
  op: 'cancel'
  target: string
}

export interface PingRequest {
  id: string
  op: 'ping'
}

export interface ShutdownRequest {
  id: string
  op: 'shutdown'
}

export type RuntimeRequest =
  | CancelRequest
  | EmbedRequest
  | GenerateRequest
  | InfoRequest
  | LoadRequest
  | PingRequest
  | ShutdownRequest
  | UnloadRequest

export type RequestOp = RuntimeRequest['op']

// ---- Events (worker → client) ----

/** Sent once, unprompted, right after the worker connects. */
export interface HelloEvent {
  event: 'hello'
  pid: number
  protocol: number
  runtime_version: string
  /** Only from a distributed group (docs/distributed.md). */
  topology?: Topology
}

/** A distributed worker group as rank 0 sees it. */
export interface Topology {
  /** The mx.distributed backend the ranks joined with. */
  backend: string
  ranks: {host: string; pid: number; rank: number}[]
  world_size: number
}

/** How a loaded model is split over a distributed group. */
export interface ShardingInfo {
  /** `[start, end)` of the layers each rank runs, by rank. */
  layers: [number, number][]
  mode: 'pipeline' | 'tensor'
  num_layers: number
  world_size: number
}

export interface InfoEvent {
  device: 'cpu' | 'gpu'
  event: 'info'
  id: string
  mlx_lm_version: string
  mlx_version: string
  protocol: number
  /** The Python version, e.g. "3.11.9" (not the interpreter path). */
  python: string
  runtime_version: string
  supported_model_types: string[]
  /** Only from a distributed group. */
  topology?: Topology
}

/** A loaded model's prompt cache settings (§3.6). */
export interface PromptCacheSettings {
  /** Why the cache is off where it would otherwise be on (a distributed group); null otherwise. */
  disabled_reason: null | string
  /** The most bytes its cache holds between requests; 0 when off. */
  max_bytes: number
}

export interface LoadedEvent {
  already_loaded: boolean
  context_length: number
  eos_token_ids: number[]
  event: 'loaded'
  id: string
  is_reasoning: boolean
  load_time_s: number
  memory_bytes: number
  model_id: string
  model_path: string
  model_type: string
  /** Only for a text generation model. */
  prompt_cache?: PromptCacheSettings
  /** Only in a distributed group. */
  sharding?: ShardingInfo
  /** Absent from workers older than embeddings: then `generation`. */
  kind?: ModelRuntimeKind
  /** How the model writes tool calls; null when it cannot take tools (absent from older workers). */
  tool_calling?: null | ToolCallingInfo
  /** Only for `kind: "embedding"`: how the model embeds. */
  embedding?: EmbeddingInfo
}

export type ModelRuntimeKind = 'embedding' | 'generation'

/** The tool-call format mlx-lm selected for a model (§3.7). */
export interface ToolCallingInfo {
  /** Empty: a call runs to the end of the output. */
  end: string
  /** Whether `tool_choice` `required` and a named tool can be enforced for this format. */
  forced: boolean
  /** mlx-lm's parser module, e.g. `json_tools`, `mistral`, `qwen3_coder`. */
  parser: string
  start: string
}

export interface EmbeddingInfo {
  /** Length of a full vector. */
  dimensions: number
  /** `encoder` (bidirectional, BERT-style) or `decoder` (causal, Qwen3-Embedding-style). */
  family: 'decoder' | 'encoder'
  /** Whether `dimensions` may be lowered (Matryoshka). */
  matryoshka: boolean
  /** Inputs are cut to this many tokens (special tokens included). */
  max_length: number
  /** Whether full-size vectors are unit length. */
  normalize: boolean
  pooling: 'cls' | 'last' | 'mean'
}

/** The answer to `embed`: every vector as little-endian float32, row after row, in one base64 string. */
export interface EmbeddingsEvent {
  count: number
  data: string
  dimensions: number
  event: 'embeddings'
  id: string
  model_id: string
  timing: {total_s: number}
  /** Tokens of each input after truncation, special tokens included. */
  token_counts: number[]
  /** Indices of the inputs that were cut to the model's `max_length`. */
  truncated: number[]
  usage: {prompt_tokens: number}
}

export interface UnloadedEvent {
  event: 'unloaded'
  id: string
  model_id: string
}

export interface StartEvent {
  clamped: boolean
  context_length: number
  event: 'start'
  id: string
  /** The effective token budget after clamping to the context. */
  max_tokens: number
  prompt_tokens: number
  /** True when output begins inside a reasoning block (the template opened `<think>`). */
  reasoning: boolean
  requested_max_tokens: null | number
}

export type TokenChannel = 'content' | 'reasoning'

/** One alternative in a logprobs entry. */
export interface TopLogprob {
  logprob: number
  /** The token decoded on its own (may be U+FFFD for part of a multi-byte character). */
  token: string
  token_id: number
}

/** The log-probability of one sampled token, after logits processors (§2.4). */
export interface TokenLogprob extends TopLogprob {
  /** The `top_logprobs` most likely tokens, most likely first; empty when `top_logprobs` is 0. */
  top_logprobs: TopLogprob[]
}

/** Never empty, always whole characters; may hold several tokens, so never count events as tokens. */
export interface TokenEvent {
  channel: TokenChannel
  event: 'token'
  id: string
  /** Only with `logprobs: true`: the entries of the tokens sampled since the last event that carried some. */
  logprobs?: TokenLogprob[]
  text: string
}

/** A tool call, once its text has closed and parsed; its text never reaches a `token` event. */
export interface ToolCallEvent {
  call: ToolCall
  event: 'tool_call'
  id: string
  /** 0, 1, … in the order of the calls of the generation. */
  index: number
  /** With `logprobs: true`: entries of tokens sampled since the last event that carried some (§2.4). */
  logprobs?: TokenLogprob[]
  /** The call's text as generated, markers included (empty for the second and later calls of one text). */
  text: string
}

export type FinishReason = 'cancelled' | 'length' | 'stop'

/** `tool_call`: `parallel_tool_calls: false` and the one call was made. */
export type StopCause = {string: string; type: 'string'} | {token_id: number; type: 'eos'} | {type: 'tool_call'}

export interface Usage {
  /** Prompt tokens whose KV came from the prompt cache instead of being prefilled (§3.6). */
  cached_tokens: number
  completion_tokens: number
  prompt_tokens: number
}

/** The model's prompt cache once a generation has left its KV there (§3.6). */
export interface PromptCacheState {
  bytes: number
  entries: number
  /** Entries this generation's KV pushed out. */
  evicted: number
}

export interface GenerationTiming {
  tokens_per_s: number
  total_s: number
  ttft_s: number
}

export interface DoneEvent {
  event: 'done'
  finish_reason: FinishReason
  id: string
  /** Only when the model has a prompt cache. */
  prompt_cache?: PromptCacheState
  stop: null | StopCause
  timing: GenerationTiming
  usage: Usage
}

export interface OkEvent {
  event: 'ok'
  found: boolean
  id: string
}

export interface PongEvent {
  event: 'pong'
  id: string
}

export interface ByeEvent {
  event: 'bye'
  id: string
}

interface ErrorBase {
  message: string
}

/** The `error` object of an `error` event, by type (§2.7). */
export type WorkerError =
  | (ErrorBase & {context_length: number; prompt_tokens: number; type: 'context_length_exceeded'})
  | (ErrorBase & {model_id: string; type: 'model_not_loaded'})
  | (ErrorBase & {model_path: string; reasons: string[]; type: 'unsafe_model'})
  | (ErrorBase & {model_path: string; type: 'model_load_failed'})
  | (ErrorBase & {model_type: string; type: 'unsupported_model_type'})
  | (ErrorBase & {model_kind: ModelRuntimeKind; type: 'wrong_model_kind'})
  | (ErrorBase & {model_type: string; sharding: string; type: 'unshardable_model'; world_size: number})
  | (ErrorBase & {keyword: null | string; schema_name?: string; tool_index?: number; type: 'unsupported_schema'})
  | (ErrorBase & {schema_name?: string; tool_index?: number; type: 'invalid_schema'})
  | (ErrorBase & {parser: string; type: 'tool_choice_not_supported'})
  | (ErrorBase & {type: 'bad_request' | 'generation_failed' | 'internal' | 'invalid_grammar' | 'tools_not_supported'})

export type WorkerErrorType = WorkerError['type']

export interface ErrorEvent {
  error: WorkerError
  event: 'error'
  /** Null only for a line the worker could not parse at all. */
  id: null | string
}

/** What a `generate` stream yields: `start`, then `token`s and `tool_call`s, then one `done`. */
export type GenerateEvent = DoneEvent | StartEvent | TokenEvent | ToolCallEvent

export type RuntimeEvent =
  | ByeEvent
  | DoneEvent
  | EmbeddingsEvent
  | ErrorEvent
  | HelloEvent
  | InfoEvent
  | LoadedEvent
  | OkEvent
  | PongEvent
  | StartEvent
  | TokenEvent
  | ToolCallEvent
  | UnloadedEvent

/** The terminal result event of each op that is not `generate`. */
export interface ResultEventByOp {
  cancel: OkEvent
  embed: EmbeddingsEvent
  info: InfoEvent
  load: LoadedEvent
  ping: PongEvent
  shutdown: ByeEvent
  unload: UnloadedEvent
}

export const RESULT_EVENT_BY_OP: {[Op in keyof ResultEventByOp]: ResultEventByOp[Op]['event']} = {
  cancel: 'ok',
  embed: 'embeddings',
  info: 'info',
  load: 'loaded',
  ping: 'pong',
  shutdown: 'bye',
  unload: 'unloaded',
}
