import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {lstat, readdir, readFile, readlink} from 'node:fs/promises'
import {join} from 'node:path'

import {buildRepo, type FileSource, filesFromFolder, type HubRepo, pseudoRandomBytes} from './repo-fixture.js'

const ROOT = new URL('../..', import.meta.url).pathname
const TINY_MODEL = join(ROOT, 'test', 'fixtures', 'models', 'tiny-qwen2-bpe')

export const TOKENS = {granted: 'hf_grantedTokenForTests', other: 'hf_otherUserTokenNoAccess'} as const

/** Files of a small MLX model: the real tiny test model when present, else generated stand-ins. */
async function modelFiles(): Promise<Record<string, FileSource>> {
  if (existsSync(TINY_MODEL)) return filesFromFolder(TINY_MODEL)
  return {
    'config.json': JSON.stringify({architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 64}),
    'model.safetensors': pseudoRandomBytes(300_000, 7),
    'tokenizer.json': '{"version":"1.0"}',
    'tokenizer_config.json': '{}',
  }
}

const GATED_GITATTRIBUTES = '*.safetensors filter=lfs diff=lfs merge=lfs -text\n'
const GATED_CARD = '---\nextra_gated_prompt: Terms\n---\n'

export interface StandardRepos {
  /** main = second commit; tag v1 = first commit. Has a 3 MB LFS file for resume and fault tests. */
  model: HubRepo
  /** Model info, tree, README.md and .gitattributes are public; every other file answers 401/403 GatedRepo. */
  gated: HubRepo
  private: HubRepo
}

export async function standardRepos(): Promise<StandardRepos> {
  const files = await modelFiles()
  const weights = pseudoRandomBytes(3_000_000, 42)
  const v1 = {...files, 'extra/weights.safetensors': weights, 'notes.txt': 'first commit\n'}
  const v2 = {...v1, 'notes.txt': 'second commit\n'}
  return {
    gated: await buildRepo({
      // The public card and LFS rules are its smallest files, which is what fooled a preflight that probed the
      // smallest file.
      commits: [{files: {...files, '.gitattributes': GATED_GITATTRIBUTES, 'README.md': GATED_CARD}}],
      gated: 'manual',
      grantedTokens: [TOKENS.granted],
      id: 'test-org/gated-model',
    }),
    model: await buildRepo({
      commits: [
        {files: v1, refs: ['v1']},
        {files: v2, refs: ['main']},
      ],
      id: 'mlx-community/tiny-model',
    }),
    private: await buildRepo({
      commits: [{files}],
      grantedTokens: [TOKENS.granted],
      id: 'test-org/private-model',
      private: true,
    }),
  }
}

/**
 * Every entry under `dir` with its type and content digest (or link target), sorted: two equal listings mean the
 * tree is byte-identical.
 */
export async function cacheListing(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (current: string, prefix: string): Promise<void> => {
    const entries = await readdir(current).catch(() => [])
    for (const name of entries.sort()) {
      const path = join(current, name)
      const info = await lstat(path)
      const rel = prefix + name
      if (info.isSymbolicLink()) out.push(`L ${rel} -> ${await readlink(path)}`)
      else if (info.isDirectory()) {
        out.push(`D ${rel}`)
        await walk(path, `${rel}/`)
      } else
        out.push(
          `F ${rel} ${info.size} ${createHash('sha256')
            .update(await readFile(path))
            .digest('hex')}`,
        )
    }
  }

  await walk(dir, '')
  return out
}
