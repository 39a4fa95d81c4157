import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync} from 'node:fs'
import {mkdir, symlink, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, posix} from 'node:path'

import {isLfsPath} from '../../src/sdk/cache/etag.js'
import {repoIdToDirName} from '../../src/sdk/cache/naming.js'
import {markTestCache} from '../../src/sdk/cache/sentinel.js'

/*
 * Builds caches in the layout Python huggingface_hub writes: blobs named by etag (git blob sha1, or sha256 for
 * LFS files), snapshot entries as relative links into blobs/, refs holding the bare commit sha.
 */

/** A file's content: literal text or bytes, `size` deterministic bytes, or an LFS pointer left in place of weights. */
export type FixtureContent = Buffer | string | {lfsPointer: true} | {size: number}

export interface FixtureRevision {
  /** Defaults to a deterministic 40-hex sha derived from the repo id and the revision's index. */
  commit?: string
  files: Record<string, FixtureContent>
  mtime?: Date
  /** Write this revision's files as plain files instead of links (overrides the model's `plainFiles`). */
  plainFiles?: boolean
  /** Defaults to ['main'] for the first revision and none for the others. */
  refs?: string[]
}

export interface FixtureIncomplete {
  bytes: number
  etag?: string
  /** Use Python 2.4's `<etag>.<8 hex>.incomplete` name instead of `<etag>.incomplete`. */
  unique?: boolean
}

export interface FixtureModel {
  incomplete?: FixtureIncomplete[]
  /** Etags whose `.locks/<dir>/<etag>.lock` files to create (empty, unlocked). */
  locks?: string[]
  plainFiles?: boolean
  repoId: string
  revisions: FixtureRevision[]
  /** Write `trees/<commit>.json` as huggingface_hub ≥ 2.x does. */
  writeTrees?: boolean
}

export function fixtureCommit(repoId: string, index: number): string {
  return createHash('sha1').update(`${repoId}#${index}`).digest('hex')
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function gitBlobSha1(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

function patternBytes(size: number, seed: string): Buffer {
  const block = createHash('sha256').update(seed).digest()
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i++) bytes[i] = block[i % block.length] as number
  return bytes
}

function lfsPointer(path: string): Buffer {
  const oid = sha256(Buffer.from(path))
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 123456789\n`)
}

function contentBytes(path: string, content: FixtureContent): Buffer {
  if (typeof content === 'string') return Buffer.from(content)
  if (Buffer.isBuffer(content)) return content
  if ('lfsPointer' in content) return lfsPointer(path)
  return patternBytes(content.size, path)
}

export function fixtureEtag(path: string, bytes: Buffer): string {
  return isLfsPath(path) ? sha256(bytes) : gitBlobSha1(bytes)
}

/** A fresh temp directory for a cache, inside the test sandbox when there is one. */
export function tempCacheRoot(): string {
  const parent = process.env.MLXK_TEST_SANDBOX ?? tmpdir()
  mkdirSync(parent, {recursive: true})
  return mkdtempSync(join(parent, 'hub-'))
}

export async function buildCache(models: FixtureModel[]): Promise<string>
export async function buildCache(root: string | undefined, models: FixtureModel[]): Promise<string>
export async function buildCache(
  rootOrModels: FixtureModel[] | string | undefined,
  maybeModels?: FixtureModel[],
): Promise<string> {
  const root = typeof rootOrModels === 'string' ? rootOrModels : tempCacheRoot()
  const models = Array.isArray(rootOrModels) ? rootOrModels : (maybeModels ?? [])
  await mkdir(root, {recursive: true})
  await markTestCache(root)
  for (const model of models) await buildModel(root, model)
  return root
}

async function buildModel(root: string, model: FixtureModel): Promise<void> {
  const dirName = repoIdToDirName(model.repoId)
  const dir = join(root, dirName)
  await mkdir(join(dir, 'blobs'), {recursive: true})
  for (const [index, revision] of model.revisions.entries()) {
    const commit = revision.commit ?? fixtureCommit(model.repoId, index)
    const snapshotDir = join(dir, 'snapshots', commit)
    await mkdir(snapshotDir, {recursive: true})
    const trees: Record<string, Record<string, number | string>> = {}
    for (const [path, content] of Object.entries(revision.files)) {
      const bytes = contentBytes(path, content)
      const etag = fixtureEtag(path, bytes)
      const entry = join(snapshotDir, ...path.split('/'))
      await mkdir(dirname(entry), {recursive: true})
      if (revision.plainFiles ?? model.plainFiles) {
        await writeFile(entry, bytes)
      } else {
        await writeFile(join(dir, 'blobs', etag), bytes)
        const depth = path.split('/').length - 1
        await symlink(posix.join(...Array.from({length: depth + 2}, () => '..'), 'blobs', etag), entry)
      }

      trees[path] = isLfsPath(path)
        ? {blob_id: gitBlobSha1(lfsPointer(path)), lfs_sha256: etag, lfs_size: bytes.length, size: bytes.length}
        : {blob_id: etag, size: bytes.length}
    }

    for (const ref of revision.refs ?? (index === 0 ? ['main'] : [])) {
      await mkdir(dirname(join(dir, 'refs', ref)), {recursive: true})
      await writeFile(join(dir, 'refs', ref), commit)
    }

    if (model.writeTrees) {
      await mkdir(join(dir, 'trees'), {recursive: true})
      const sorted = Object.fromEntries(
        Object.keys(trees)
          .sort()
          .map((path) => [path, trees[path]]),
      )
      await writeFile(join(dir, 'trees', `${commit}.json`), JSON.stringify({files: sorted, format_version: 1}, null, 1))
    }

    if (revision.mtime) await utimes(snapshotDir, revision.mtime, revision.mtime)
  }

  for (const [index, partial] of (model.incomplete ?? []).entries()) {
    const etag = partial.etag ?? sha256(Buffer.from(`${model.repoId}#partial${index}`))
    const suffix = partial.unique
      ? `.${createHash('sha1').update(etag).digest('hex').slice(0, 8)}.incomplete`
      : '.incomplete'
    await writeFile(join(dir, 'blobs', etag + suffix), patternBytes(partial.bytes, etag))
  }

  if (model.locks?.length) {
    await mkdir(join(root, '.locks', dirName), {recursive: true})
    for (const etag of model.locks) await writeFile(join(root, '.locks', dirName, `${etag}.lock`), '')
  }
}

export function modelDirOf(root: string, repoId: string): string {
  return join(root, repoIdToDirName(repoId))
}

/** A minimal valid safetensors file: one F32 tensor of two values. */
export function tinySafetensors(): Buffer {
  const header = Buffer.from(
    JSON.stringify({__metadata__: {format: 'mlx'}, w: {data_offsets: [0, 8], dtype: 'F32', shape: [2]}}),
  )
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(header.length))
  return Buffer.concat([length, header, Buffer.alloc(8)])
}

function tinyGguf(): Buffer {
  const bytes = Buffer.alloc(24)
  bytes.write('GGUF', 0, 'ascii')
  bytes.writeUInt32LE(3, 4)
  return bytes
}

function readme(tags: string[]): string {
  return `---\nlibrary_name: ${tags[0]}\ntags:\n${tags.map((tag) => `- ${tag}`).join('\n')}\n---\n\n# Test model\n`
}

const TOKENIZER = JSON.stringify({model: {type: 'BPE', vocab: {a: 0, b: 1}}, version: '1.0'})

/** An MLX 4-bit llama chat model. */
export function mlxChatModelFiles(): Record<string, FixtureContent> {
  return {
    'README.md': readme(['mlx']),
    'config.json': JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      quantization: {bits: 4, group_size: 64},
    }),
    'model.safetensors': tinySafetensors(),
    'tokenizer.json': TOKENIZER,
    'tokenizer_config.json': JSON.stringify({
      chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}',
      eos_token: '</s>',
    }),
  }
}

/** A PyTorch checkpoint (not MLX). */
export function pytorchModelFiles(): Record<string, FixtureContent> {
  return {
    'README.md': readme(['transformers', 'pytorch']),
    'config.json': JSON.stringify({architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float16'}),
    'pytorch_model.bin': {size: 64},
    'tokenizer.json': TOKENIZER,
    'tokenizer_config.json': JSON.stringify({eos_token: '</s>'}),
  }
}

/** A GGUF model. */
export function ggufModelFiles(): Record<string, FixtureContent> {
  return {'README.md': readme(['gguf']), 'model-Q4_K_M.gguf': tinyGguf()}
}

/** An MLX model split into `n` safetensors shards; the shards listed in `missing` (1-based) are left out. */
export function shardedModelFiles(n: number, missing: number[] = []): Record<string, FixtureContent> {
  const pad = (i: number) => String(i).padStart(5, '0')
  const shards = Array.from({length: n}, (_, i) => `model-${pad(i + 1)}-of-${pad(n)}.safetensors`)
  const weightMap = Object.fromEntries(shards.map((shard, i) => [`layers.${i}.weight`, shard]))
  const files: Record<string, FixtureContent> = {
    ...mlxChatModelFiles(),
    'model.safetensors.index.json': JSON.stringify({metadata: {total_size: n * 16}, weight_map: weightMap}),
  }
  delete files['model.safetensors']
  for (const [i, shard] of shards.entries()) if (!missing.includes(i + 1)) files[shard] = {size: 16 + i}
  return files
}
