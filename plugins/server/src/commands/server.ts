import {Flags, formatEnvelopeLine, MlxkCommand, usageError} from 'mlxk/sdk'
import {groupFlags, groupOptionsFrom, resolveGroupSpec, SAMPLING_DEFAULTS} from 'mlxk/sdk/runtime'

import type {ServerStarted} from '../serve/options.js'

/**
 * Concurrent generations per model, which the runtime batches: enough that a few clients (an editor, a chat UI,
 * an agent) never wait on each other, few enough that their KV caches fit beside a laptop-sized model.
 * mlx_lm.server allows 32 sequences in decode and 8 in prompt processing.
 */
const DEFAULT_PARALLEL = 8

export default class Server extends MlxkCommand<ServerStarted> {
  static override aliases = ['serve']
  static override description = [
    'Serves /v1/models, /v1/chat/completions and /v1/completions (streamed and not), /health and /metrics.',
    'Models come from the Hugging Face cache (healthy, runnable MLX models) and from --workspace folders; a request',
    "for a model loads it on demand. Errors use OpenAI's error shape. The first Ctrl-C (or SIGTERM) lets running",
    'requests finish within --grace-period; a second one exits at once.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --model mlx-community/Qwen2.5-0.5B-Instruct-4bit --port 8080',
    'MLXK_API_KEY=secret <%= config.bin %> <%= command.id %> --host 0.0.0.0 --cors-origin https://app.example',
    '<%= config.bin %> <%= command.id %> --model mlx-community/Qwen3-30B-A3B-4bit --hostfile ~/mlx-hosts.json',
  ]
  static override flags = {
    ...groupFlags,
    'api-key': Flags.string({
      description: 'Require `Authorization: Bearer <key>` on /v1/* and /metrics (/health stays open).',
      env: 'MLXK_API_KEY',
      noCacheDefault: true,
    }),
    'cors-origin': Flags.string({
      description: 'Allow browser pages from this origin (repeatable; `*` for any). Default: no CORS.',
      multiple: true,
    }),
    'grace-period': Flags.string({
      default: '10s',
      description: 'How long running requests may finish after SIGINT/SIGTERM before they are cancelled.',
    }),
    host: Flags.string({default: '127.0.0.1', description: 'Address to bind; beyond loopback, set an API key.'}),
    'keep-alive': Flags.string({
      default: '5m',
      description: 'Unload a model after this long without requests (`30s`, `5m`, `1h`; `-1` never, `0` at once).',
    }),
    'max-body': Flags.string({default: '16mb', description: 'Largest accepted request body (`512kb`, `16mb`).'}),
    'max-loaded': Flags.integer({default: 1, description: 'Models resident at once.', min: 1}),
    'max-queue': Flags.integer({
      default: 32,
      description: 'Requests that may wait per model; beyond that the server answers 503 with Retry-After.',
      min: 0,
    }),
    'max-tokens': Flags.integer({
      description: 'Completion budget for requests without max_tokens (default: half the model context).',
      min: 1,
    }),
    model: Flags.string({char: 'm', description: 'Load this model before listening (repeatable).', multiple: true}),
    parallel: Flags.integer({
      default: DEFAULT_PARALLEL,
      description: 'Generations running at once per model, batched by the runtime; 1 serves one at a time.',
      min: 1,
    }),
    port: Flags.integer({
      default: 8000,
      description: 'Port to bind; 0 picks a free one (printed on start).',
      max: 65_535,
      min: 0,
    }),
    'prompt-cache-bytes': Flags.string({
      description:
        "KV cache each model keeps between requests, so a conversation's next turn prefills only what is new " +
        "(`2gb`, `512mb`; `0` off). Default: an eighth of the machine's memory, at most 8gb.",
      helpValue: 'SIZE',
    }),
    workspace: Flags.string({
      description:
        'Also serve the model folder DIR; its id is the path as given (repeatable). See MLXK_WORKSPACE_HOME.',
      helpValue: 'DIR',
      multiple: true,
    }),
  }
  static override summary = 'Run an OpenAI-compatible HTTP server for cached MLX models.'

  async run(): Promise<void> {
    const {flags} = await this.parse(Server)
    const [{cacheRoot}, {parseBytes, parseDuration}, {isWorkspaceSpec}] = await Promise.all([
      import('mlxk/sdk/cache'),
      import('../serve/options.js'),
      import('mlxk/sdk/services'),
    ])
    const group = resolveGroupSpec(groupOptionsFrom(flags))
    const keepAliveMs = parseDuration(flags['keep-alive'])
    const gracePeriodMs = parseDuration(flags['grace-period'])
    const maxBodyBytes = parseBytes(flags['max-body'])
    if (keepAliveMs === undefined) throw usageError(`--keep-alive: not a duration: ${flags['keep-alive']}`)
    if (gracePeriodMs === undefined) throw usageError(`--grace-period: not a duration: ${flags['grace-period']}`)
    if (maxBodyBytes === undefined || maxBodyBytes < 1) throw usageError(`--max-body: not a size: ${flags['max-body']}`)
    const cacheFlag = flags['prompt-cache-bytes']
    const promptCacheBytes = cacheFlag === undefined ? undefined : parseBytes(cacheFlag)
    if (cacheFlag !== undefined && promptCacheBytes === undefined) {
      throw usageError(`--prompt-cache-bytes: not a size: ${cacheFlag}`)
    }
    const preload = flags.model ?? []
    // Koa and the runtime client load only now: `mlxk --help` and the other commands never pay for them.
    const {serve} = await import('../serve/main.js')
    await serve(
      {
        announce: (started) => {
          if (this.jsonEnabled()) process.stdout.write(formatEnvelopeLine(this.toSuccessJson(started)))
        },
        app: {
          apiKey: flags['api-key'] || undefined,
          corsOrigins: flags['cors-origin'] ?? [],
          maxBodyBytes,
          version: this.config.version,
        },
        catalog: {
          root: cacheRoot(),
          workspaceHome: process.env.MLXK_WORKSPACE_HOME || undefined,
          // A folder given to --model is served like a --workspace, as `mlxk run ./folder` and mlx_lm.server do.
          workspaces: [...(flags.workspace ?? []), ...preload.filter((spec) => isWorkspaceSpec(spec))],
        },
        defaults: {
          maxTokens: flags['max-tokens'],
          temperature: SAMPLING_DEFAULTS.temperature,
          topP: SAMPLING_DEFAULTS.top_p,
        },
        gracePeriodMs: Math.max(0, gracePeriodMs),
        group,
        limits: {
          keepAliveMs,
          maxLoaded: flags['max-loaded'],
          maxQueue: flags['max-queue'],
          parallel: flags.parallel,
        },
        listen: {host: flags.host, port: flags.port},
        logJson: flags['log-json'] || process.env.MLXK_LOG_JSON === '1',
        preload,
        promptCacheBytes,
      },
      this.logger,
    )
  }
}
