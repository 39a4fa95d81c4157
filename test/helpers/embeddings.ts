import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {type EmbeddingInfo, packageRoot} from '../../src/sdk/runtime/index.js'

export const EMBEDDERS = ['tiny-bert-embed', 'tiny-qwen3-embed'] as const
export type Embedder = (typeof EMBEDDERS)[number]

/** How a tiny embedder was built and what it must rank, from test/fixtures/models/expected-embeddings.json. */
export type EmbedderExpectation = EmbeddingInfo & {
  /** Groups of paraphrases: each sentence must be nearer the rest of its group than any other group. */
  topics: string[][]
}

export function embedderExpectation(name: Embedder): EmbedderExpectation {
  const file = join(packageRoot(), 'test', 'fixtures', 'models', 'expected-embeddings.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as Record<Embedder, EmbedderExpectation>)[name]
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }

  return dot / Math.sqrt(na * nb)
}

export function norm(v: ArrayLike<number>): number {
  return Math.sqrt(Array.from(v).reduce((sum, x) => sum + x * x, 0))
}

/** Each pair within 1e-5, as a batch must match the same texts embedded one by one. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)))
}
