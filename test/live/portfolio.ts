import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {scanCache} from '../../src/sdk/cache/scan.js'
import type {SupportedModelTypes} from '../../src/sdk/model/types.js'
import {describeModel} from '../../src/sdk/services/describe-model.js'
import {supportedModelTypes} from '../../src/sdk/services/supported.js'

/*
 * Portfolio discovery (upstream ADR-009): every model in a cache that the live run/stop-token checks can use,
 * i.e. MLX + healthy + runtime-compatible + chat, judged by the same SDK pipeline `mlxk list` uses. Everything
 * else is listed with the reason it was left out, so a report explains what it did not test.
 */

/** What a snapshot itself says ends a generation; the worker's own union comes from `load` at run time. */
export interface EosConfig {
  config_eos_token_id: null | number | number[]
  generation_config_eos_token_id: null | number | number[]
  /** Strings of special tokens that end a turn: never allowed to show up in generated text. */
  eos_strings: string[]
  tokenizer_eos_token: null | string
}

export interface PortfolioModel {
  commit: null | string
  eos: EosConfig
  name: string
  reasoning: boolean
  sizeBytes: number
  snapshotDir: string
}

export interface PortfolioExclusion {
  name: string
  reason: string
}

export interface Portfolio {
  excluded: PortfolioExclusion[]
  models: PortfolioModel[]
}

/** End-of-turn markers of common chat templates, checked in addition to what a model's own files declare. */
export const COMMON_EOS_STRINGS = [
  '<|im_end|>',
  '<|endoftext|>',
  '</s>',
  '<|eot_id|>',
  '<|end_of_text|>',
  '<|end|>',
  '<|return|>',
  '<end_of_turn>',
]

export async function discoverPortfolio(
  root: string,
  supported: SupportedModelTypes = supportedModelTypes(),
): Promise<Portfolio> {
  const portfolio: Portfolio = {excluded: [], models: []}
  for (const cached of await scanCache(root)) {
    const d = await describeModel(cached, {supported})
    const o = d.object
    const reason =
      o.framework !== 'MLX'
        ? `not MLX (framework ${o.framework})`
        : o.health !== 'healthy'
          ? `unhealthy: ${o.reason ?? o.health_code}`
          : !o.runtime_compatible
            ? `not runtime-compatible: ${o.reason ?? o.runtime_code}`
            : o.model_type !== 'chat'
              ? `not a chat model (${o.model_type})`
              : null
    if (reason !== null || d.snapshot === null) {
      portfolio.excluded.push({name: o.name, reason: reason ?? 'no snapshot'})
      continue
    }

    portfolio.models.push({
      commit: o.hash,
      eos: await readEosConfig(d.snapshot.dir),
      name: o.name,
      reasoning: o.capabilities.includes('reasoning'),
      sizeBytes: o.size_bytes,
      snapshotDir: d.snapshot.dir,
    })
  }

  return portfolio
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

function tokenIds(value: unknown): null | number | number[] {
  if (typeof value === 'number') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[]
  return null
}

function tokenText(value: unknown): null | string {
  if (typeof value === 'string') return value
  if (value !== null && typeof value === 'object' && 'content' in value && typeof value.content === 'string')
    return value.content
  return null
}

/** The EOS settings of config.json, generation_config.json and tokenizer_config.json, as the files state them. */
export async function readEosConfig(snapshotDir: string): Promise<EosConfig> {
  const [config, generation, tokenizer] = await Promise.all(
    ['config.json', 'generation_config.json', 'tokenizer_config.json'].map((f) => readJson(join(snapshotDir, f))),
  )
  const eosToken = tokenText(tokenizer.eos_token)
  const ids = [tokenIds(config.eos_token_id), tokenIds(generation.eos_token_id)].flat().filter((v) => v !== null)
  const named: string[] = []
  const decoder = tokenizer.added_tokens_decoder
  if (decoder !== null && typeof decoder === 'object') {
    for (const [id, token] of Object.entries(decoder)) {
      const text = tokenText(token)
      if (text !== null && ids.includes(Number(id))) named.push(text)
    }
  }

  return {
    config_eos_token_id: tokenIds(config.eos_token_id),
    eos_strings: [...new Set([...(eosToken ? [eosToken] : []), ...named, ...COMMON_EOS_STRINGS])],
    generation_config_eos_token_id: tokenIds(generation.eos_token_id),
    tokenizer_eos_token: eosToken,
  }
}
