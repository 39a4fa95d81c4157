import {ExitCode, Flags, MlxkCommand, MlxkError} from 'mlxk/sdk'
import {groupFlags, groupOptionsFrom} from 'mlxk/sdk/group-flags'

import type {ServerStarted} from '../serve/main.js'

const DEFAULT_TEMPERATURE = 0.7
const DEFAULT_TOP_P = 0.9

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
    parallel: Flags.integer({default: 1, description: 'Generations running at once per model.', min: 1}),
    port: Flags.integer({
      default: 8000,
      description: 'Port to bind; 0 picks a free one (printed on start).',
      max: 65_535,
      min: 0,
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
    const [{cacheRoot}, {parseBytes, parseDuration}, {resolveGroupSpec}] = await Promise.all([
      import('mlxk/sdk/cache/locate'),
      import('../serve/options.js'),
      import('mlxk/sdk/runtime/distributed/group-spec'),
    ])
    const group = resolveGroupSpec(groupOptionsFrom(flags))
    const keepAliveMs = parseDuration(flags['keep-alive'])
    const gracePeriodMs = parseDuration(flags['grace-period'])
    const maxBodyBytes = parseBytes(flags['max-body'])
    if (keepAliveMs === undefined) throw usage(`--keep-alive: not a duration: ${flags['keep-alive']}`)
    if (gracePeriodMs === undefined) throw usage(`--grace-period: not a duration: ${flags['grace-period']}`)
    if (maxBodyBytes === undefined || maxBodyBytes < 1) throw usage(`--max-body: not a size: ${flags['max-body']}`)
    // Koa and the runtime client load only now: `mlxk --help` and the other commands never pay for them.
    const {serve} = await import('../serve/main.js')
    await serve(
      {
        apiKey: flags['api-key'] || undefined,
        corsOrigins: flags['cors-origin'] ?? [],
        gracePeriodMs: Math.max(0, gracePeriodMs),
        group,
        host: flags.host,
        json: this.jsonEnabled(),
        keepAliveMs,
        logJson: flags['log-json'] || process.env.MLXK_LOG_JSON === '1',
        maxBodyBytes,
        maxLoaded: flags['max-loaded'],
        maxQueue: flags['max-queue'],
        maxTokens: flags['max-tokens'],
        models: flags.model ?? [],
        parallel: flags.parallel,
        port: flags.port,
        root: cacheRoot(),
        temperature: DEFAULT_TEMPERATURE,
        topP: DEFAULT_TOP_P,
        version: this.config.version,
        workspaceHome: process.env.MLXK_WORKSPACE_HOME || undefined,
        workspaces: flags.workspace ?? [],
      },
      this.logger,
    )
  }
}

function usage(message: string): MlxkError {
  return new MlxkError('CommandError', message, {exitCode: ExitCode.usage})
}
