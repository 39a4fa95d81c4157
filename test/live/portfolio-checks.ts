import {mkdir, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'

import type {ChatMessage, DoneEvent, GenerateParams, InfoEvent} from '../../src/sdk/runtime/index.js'
import {collectGeneration, type RuntimeClient} from '../../src/sdk/runtime/index.js'
import type {EosConfig, PortfolioExclusion, PortfolioModel} from './portfolio.js'
import {checkRamBudget, ramBudgetBytes, ramBudgetFraction} from './ram-budget.js'

/*
 * The stop-token and streaming/batch parity checks run on each portfolio model through the runtime, and the
 * empirical report they produce (upstream's stop_token_config_report.json): what each model's files say about EOS,
 * what the worker made of it, and whether generation really stopped there.
 */

export interface CheckResult {
  detail: string
  pass: boolean
}

export interface ModelReport {
  checks: Record<string, CheckResult>
  eos_config: EosConfig & {runtime_eos_token_ids: null | number[]}
  error: null | string
  load_time_s: null | number
  memory_bytes: null | number
  model: string
  revision: null | string
  /** The start of the answer to the main prompt, so a reader can see what "passed" looked like. */
  sample: null | {content: string; reasoning: string}
  size_bytes: number
  skip_reason: null | string
  status: 'error' | 'skipped' | 'tested'
  tokens_per_s: null | number
}

export interface PortfolioReport {
  cache: string
  excluded: PortfolioExclusion[]
  generated_at: string
  models: ModelReport[]
  ram: {budget_bytes: number; budget_fraction: number; total_bytes: number}
  runtime: null | Pick<InfoEvent, 'device' | 'mlx_lm_version' | 'mlx_version' | 'python' | 'runtime_version'>
}

export interface CheckPrompts {
  /** A question the model should answer briefly and then stop on its own. */
  messages: ChatMessage[]
  /** Budget for that answer; reasoning models get `reasoningMaxTokens`. */
  maxTokens: number
  reasoningMaxTokens: number
  /** A prompt whose answer contains `stop[0]`; the text must end before it. Omit to skip the check. */
  stopCase?: {messages: ChatMessage[]; stop: string[]}
}

export const DEFAULT_PROMPTS: CheckPrompts = {
  maxTokens: 256,
  messages: [{content: 'Answer in one short sentence: what colour is a clear daytime sky?', role: 'user'}],
  reasoningMaxTokens: 2048,
  stopCase: {messages: [{content: 'Count from 1 to 10, separated by commas.', role: 'user'}], stop: ['5']},
}

const greedy = {seed: 42, temperature: 0} as const
const SAMPLE_CHARS = 300

/** One set of prompts for every model, or one per model (the test models each have their own trained answers). */
export type PromptsFor = CheckPrompts | ((model: PortfolioModel) => CheckPrompts)

/** Streams one generation chunk by chunk, as `run` and the server consume it. */
async function streamed(client: RuntimeClient, params: GenerateParams): Promise<{chunks: string[]; done: DoneEvent}> {
  const chunks: string[] = []
  for await (const event of client.generate(params)) {
    if (event.event === 'token') chunks.push(event.text)
    if (event.event === 'done') return {chunks, done: event}
  }

  throw new Error('generation ended without done')
}

export async function checkModel(
  client: RuntimeClient,
  model: PortfolioModel,
  prompts: CheckPrompts = DEFAULT_PROMPTS,
): Promise<Pick<ModelReport, 'checks' | 'eos_config' | 'load_time_s' | 'memory_bytes' | 'sample' | 'tokens_per_s'>> {
  const loaded = await client.load({modelId: model.name, modelPath: model.snapshotDir})
  try {
    const params: GenerateParams = {
      ...greedy,
      max_tokens: model.reasoning ? prompts.reasoningMaxTokens : prompts.maxTokens,
      messages: prompts.messages,
      model_id: model.name,
    }
    const batch = await collectGeneration(client.generate(params))
    const stream = await streamed(client, params)
    const text = batch.reasoning + batch.content
    const visible = model.eos.eos_strings.filter((s) => text.includes(s))
    const streamedText = stream.chunks.join('')
    const checks: Record<string, CheckResult> = {
      no_replacement_char: {
        detail: `${stream.chunks.filter((c) => c.includes('\uFFFD')).length} of ${stream.chunks.length} chunks hold U+FFFD`,
        pass: !stream.chunks.some((c) => c.includes('\uFFFD')),
      },
      no_visible_eos: {
        detail: visible.length > 0 ? `visible: ${visible.join(', ')}` : 'none visible',
        pass: visible.length === 0,
      },
      stops_on_eos: {
        detail: `finish_reason ${batch.done.finish_reason}, stop ${JSON.stringify(batch.done.stop)}, ${batch.done.usage.completion_tokens} tokens`,
        pass:
          batch.done.finish_reason === 'stop' &&
          batch.done.stop?.type === 'eos' &&
          loaded.eos_token_ids.includes(batch.done.stop.token_id),
      },
      stream_batch_parity: {
        detail:
          streamedText === text
            ? `equal (${[...text].length} chars)`
            : `stream ${JSON.stringify(streamedText.slice(0, 80))} ≠ batch ${JSON.stringify(text.slice(0, 80))}`,
        pass:
          streamedText === text &&
          stream.done.finish_reason === batch.done.finish_reason &&
          stream.done.usage.completion_tokens === batch.done.usage.completion_tokens,
      },
    }
    if (prompts.stopCase) checks.stop_string = await stopStringCheck(client, model, prompts.stopCase)
    return {
      checks,
      eos_config: {...model.eos, runtime_eos_token_ids: loaded.eos_token_ids},
      load_time_s: loaded.load_time_s,
      memory_bytes: loaded.memory_bytes,
      sample: {content: batch.content.slice(0, SAMPLE_CHARS), reasoning: batch.reasoning.slice(0, SAMPLE_CHARS)},
      tokens_per_s: batch.done.timing.tokens_per_s,
    }
  } finally {
    await client.unload(model.name)
  }
}

async function stopStringCheck(
  client: RuntimeClient,
  model: PortfolioModel,
  stopCase: NonNullable<CheckPrompts['stopCase']>,
): Promise<CheckResult> {
  const r = await collectGeneration(
    client.generate({
      ...greedy,
      max_tokens: 512,
      messages: stopCase.messages,
      model_id: model.name,
      stop: stopCase.stop,
    }),
  )
  const leaked = stopCase.stop.filter((s) => r.content.includes(s))
  const stoppedThere = r.done.stop?.type === 'string' && stopCase.stop.includes(r.done.stop.string)
  return {
    detail: `finish_reason ${r.done.finish_reason}, stop ${JSON.stringify(r.done.stop)}${leaked.length > 0 ? `, leaked ${leaked.join(', ')}` : ''}`,
    // A model that never writes the stop string cannot fail this check, but must not show it either.
    pass: leaked.length === 0 && (stoppedThere || r.done.stop?.type === 'eos'),
  }
}

/** Runs the checks on every model that fits the RAM budget; the rest are reported as skipped, with the reason. */
export async function runPortfolio(options: {
  cache: string
  client: RuntimeClient
  excluded: PortfolioExclusion[]
  models: PortfolioModel[]
  prompts?: PromptsFor
  totalRamBytes: number
}): Promise<PortfolioReport> {
  const info = await options.client.info()
  const models: ModelReport[] = []
  for (const model of options.models) models.push(await reportFor(options, model))
  return {
    cache: options.cache,
    excluded: options.excluded,
    generated_at: new Date().toISOString(),
    models,
    ram: {
      budget_bytes: ramBudgetBytes(options.totalRamBytes),
      budget_fraction: ramBudgetFraction(options.totalRamBytes),
      total_bytes: options.totalRamBytes,
    },
    runtime: {
      device: info.device,
      mlx_lm_version: info.mlx_lm_version,
      mlx_version: info.mlx_version,
      python: info.python,
      runtime_version: info.runtime_version,
    },
  }
}

async function reportFor(
  options: {client: RuntimeClient; prompts?: PromptsFor; totalRamBytes: number},
  model: PortfolioModel,
): Promise<ModelReport> {
  const base: ModelReport = {
    checks: {},
    eos_config: {...model.eos, runtime_eos_token_ids: null},
    error: null,
    load_time_s: null,
    memory_bytes: null,
    model: model.name,
    revision: model.commit,
    sample: null,
    size_bytes: model.sizeBytes,
    skip_reason: null,
    status: 'tested',
    tokens_per_s: null,
  }
  const budget = checkRamBudget(model.sizeBytes, options.totalRamBytes)
  if (!budget.fits) return {...base, skip_reason: budget.reason, status: 'skipped'}
  try {
    const prompts = typeof options.prompts === 'function' ? options.prompts(model) : options.prompts
    return {...base, ...(await checkModel(options.client, model, prompts))}
  } catch (error) {
    return {...base, error: error instanceof Error ? error.message : String(error), status: 'error'}
  }
}

/** Names of the checks a tested model failed (an error counts as a failure). */
export function failedChecks(report: ModelReport): string[] {
  if (report.status === 'error') return [`error: ${report.error}`]
  return Object.entries(report.checks)
    .filter(([, r]) => !r.pass)
    .map(([name, r]) => `${name} (${r.detail})`)
}

export async function writeReport(path: string, report: PortfolioReport): Promise<void> {
  await mkdir(dirname(path), {recursive: true})
  await writeFile(path, JSON.stringify(report, null, 2) + '\n')
}
