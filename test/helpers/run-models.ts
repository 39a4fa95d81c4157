import {mkdtempSync} from 'node:fs'
import {join} from 'node:path'

import {importFolder} from '../../src/sdk/cache/import-folder.js'
import {buildCache, ggufModelFiles, pytorchModelFiles, shardedModelFiles} from './fixture-cache.js'
import {runtimePython, testModelPath} from './runtime.js'

export const RUN_MODELS = ['tiny-qwen2-bpe', 'tiny-llama-spm', 'tiny-qwen2-think'] as const
export type RunModel = (typeof RUN_MODELS)[number]

/** The cache name a test model gets (`mlxk-test/<name>`). */
export function repoOf(name: RunModel): string {
  return `mlxk-test/${name}`
}

/**
 * A hub cache holding the real test models (as a download would lay them out) plus models `run` must refuse:
 * a GGUF one, a PyTorch one and an MLX one with a missing shard. Fails, never skips, without the runtime venv.
 */
export async function buildRunCache(): Promise<string> {
  runtimePython()
  const root = await buildCache([
    {repoId: 'acme/llama-gguf', revisions: [{files: ggufModelFiles()}]},
    {repoId: 'acme/llama-pytorch', revisions: [{files: pytorchModelFiles()}]},
    {repoId: 'acme/broken-mlx', revisions: [{files: shardedModelFiles(3, [2])}]},
  ])
  for (const name of RUN_MODELS) await importFolder({folder: testModelPath(name), repoId: repoOf(name), root})
  return root
}

/**
 * A short private TMPDIR for the CLI: the worker's socket path lives under it and appears on the worker's
 * command line, so `pgrep -f <dir>` finds exactly the workers of this test, whatever else runs on the machine.
 */
export function workerTmpdir(): string {
  return mkdtempSync(join('/tmp', 'mlxk-run-'))
}
