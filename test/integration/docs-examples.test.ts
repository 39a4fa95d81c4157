import {spawn} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {importFolder} from '../../src/sdk/cache/import-folder.js'
import {markTestCache} from '../../src/sdk/cache/sentinel.js'
import {BIN, ROOT} from '../helpers/run-cli.js'
import {testModelPath} from '../helpers/runtime.js'
import {expectedExit, lineIsIllustrative, shellLines} from '../spec/doc-mentions.js'
import {isIllustrative, type MarkdownDoc, SHELL_LANGS, userDocs} from '../spec/markdown.js'
import {mlxkInvocations, shellTokens} from '../spec/shell-words.js'

/*
 * Every `mlxk …` line in a ```sh (bash, shell, console) block of README.md and docs/ runs here, through bash, as a
 * reader would paste it: against a cache of the project's own tiny models under the names the docs use, with a
 * fresh home, config and cache copy per document (examples run in document order, so `mlxk alpha enable run`
 * before `mlxk run` works as written). It must exit 0, or the code its comment names with `(exit N)`. Lines
 * that cannot run here are marked: `<!-- illustrative -->` above the block, or `(illustrative)` in the comment.
 */

/** The names the docs use → the committed test model that stands in for it. */
const DOC_MODELS: Record<string, string> = {
  'mlx-community/DeepSeek-R1-Distill-Qwen-1.5B-4bit': 'tiny-qwen2-think',
  'mlx-community/Llama-3.2-1B-Instruct-4bit': 'tiny-llama-spm',
  'mlx-community/Qwen2.5-0.5B-Instruct-4bit': 'tiny-qwen2-bpe',
  'mlx-community/Qwen3-0.6B-4bit': 'tiny-qwen2-bpe-4bit',
}

interface Example {
  exit: number
  line: string
  /** Set when the line must not run here: why, and what to do. */
  unsafe: null | string
  where: string
}

/**
 * Examples run as the test user (root in CI): a redirect to an absolute, home or variable path would write outside
 * the example's temporary directory (`> "${fpath[1]}/_mlxk"` is `/_mlxk` in bash), so such a line fails instead of
 * running, until its doc marks it illustrative.
 */
function unsafeRedirect(line: string): null | string {
  const tokens = shellTokens(line)
  for (let i = 0; i < tokens.length - 1; i++) {
    const target = tokens[i + 1].text
    if (
      tokens[i].kind === 'op' &&
      tokens[i + 1].kind === 'word' &&
      ['>', '>>', '2>'].includes(tokens[i].text) &&
      !/^(?!.*\.\.)[\w.-][\w./-]*$/.test(target)
    )
      return `writes to ${target}, outside the example's directory: mark the line (illustrative) or write to a relative path`
  }

  return null
}

function examples(doc: MarkdownDoc): Example[] {
  const out: Example[] = []
  for (const block of doc.blocks.filter((b) => SHELL_LANGS.has(b.lang) && !isIllustrative(b))) {
    for (const {line, text} of shellLines(block)) {
      const invocations = mlxkInvocations(text)
      if (invocations.length === 0 || invocations.some((i) => lineIsIllustrative(i.comment))) continue
      out.push({
        exit: expectedExit(invocations[0].comment),
        line: text.replace(/^\s*[$%]\s+/, ''),
        unsafe: unsafeRedirect(text),
        where: `${doc.file}:${line}`,
      })
    }
  }

  return out
}

function runExample(line: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{code: null | number; output: string}> {
  // `mlxk` is a shell function, so pipes, redirects and env prefixes behave as in the reader's shell.
  const script = `set -o pipefail\nmlxk() { "$MLXK_DOCS_NODE" "$MLXK_DOCS_BIN" "$@"; }\n${line}\n`
  const child = spawn('bash', ['-c', script], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c))
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, output})
    }),
  )
}

describe('docs examples run as written', () => {
  const docs = userDocs(ROOT)
    .map((doc) => ({doc, examples: examples(doc)}))
    .filter((d) => d.examples.length > 0)
  let template: string

  before(async function () {
    this.timeout(120_000)
    template = mkdtempSync(join(tmpdir(), 'mlxk-docs-cache-'))
    for (const [repoId, name] of Object.entries(DOC_MODELS)) {
      await importFolder({folder: testModelPath(name), repoId, root: template})
    }

    await markTestCache(template)
  })

  it('there are executable examples (the check is not vacuous)', () => {
    expect(docs.map((d) => d.doc.file)).to.include('README.md')
  })

  for (const {doc, examples: list} of docs) {
    describe(doc.file, () => {
      let env: NodeJS.ProcessEnv
      let cwd: string

      before(() => {
        const dir = mkdtempSync(join(tmpdir(), 'mlxk-docs-'))
        const hfHome = join(dir, 'hf')
        cpSync(template, join(hfHome, 'hub'), {recursive: true, verbatimSymlinks: true})
        cwd = join(dir, 'cwd')
        for (const sub of ['cwd', 'home', 'config', 'data', 'cache']) mkdirSync(join(dir, sub), {recursive: true})
        env = {
          ...process.env,
          HF_HOME: hfHome,
          HOME: join(dir, 'home'),
          MLXK_DOCS_BIN: BIN,
          MLXK_DOCS_NODE: process.execPath,
          XDG_CACHE_HOME: join(dir, 'cache'),
          XDG_CONFIG_HOME: join(dir, 'config'),
          XDG_DATA_HOME: join(dir, 'data'),
        }
        // The reader's shell has neither: the docs' own lines decide what is enabled and which cache is used.
        delete env.HF_HUB_CACHE
        delete env.MLXK_ALPHA
        delete env.MLXK2_ENABLE_ALPHA_FEATURES
      })

      for (const example of list) {
        it(`${example.where}: ${example.line.trim()}`, async function () {
          this.timeout(130_000)
          expect(example.unsafe, `${example.where}: ${example.unsafe}`).to.equal(null)
          const r = await runExample(example.line, env, cwd)
          expect(
            r.code,
            `${example.where}: \`${example.line.trim()}\` exited ${r.code}:\n${r.output.slice(-2000)}`,
          ).to.equal(example.exit)
        })
      }
    })
  }
})
