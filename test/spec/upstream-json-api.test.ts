import {Ajv, type ValidateFunction} from 'ajv'
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {join} from 'node:path'

import {
  buildCache,
  ggufModelFiles,
  mlxChatModelFiles,
  pytorchModelFiles,
  shardedModelFiles,
  tempCacheRoot,
} from '../helpers/fixture-cache.js'
import {type CliResult, ROOT, runMlxk} from '../helpers/run-cli.js'
import {testModelPath} from '../helpers/runtime.js'
import {startTestHub, type TestHub} from '../hub/hub-server.js'
import {buildRepo, filesFromFolder} from '../hub/repo-fixture.js'

/*
 * `--json` is a superset of upstream mlx-knife's JSON API: every output must validate against upstream's own
 * published schema with one relaxation, additionalProperties (mlxk adds fields). Names, types, enums, patterns
 * and required lists hold exactly as upstream wrote them, so a script written against mlx-knife keeps working.
 */

const SCHEMA_FILE = join(ROOT, 'test', 'fixtures', 'upstream-json-api-0.2.2.json')

/** Upstream's schema with every `additionalProperties: false` turned into `true`, and nothing else changed. */
function relaxAdditionalProperties(node: unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => relaxAdditionalProperties(n))
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === 'additionalProperties' && value === false ? [key, true] : [key, relaxAdditionalProperties(value)],
    ),
  )
}

const upstream = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>
const ajv = new Ajv({allErrors: true, strict: false})
const validate: ValidateFunction = ajv.compile(relaxAdditionalProperties(upstream) as object)

function upstreamErrors(value: unknown): null | string {
  return validate(value) ? null : ajv.errorsText(validate.errors, {separator: '\n'})
}

function expectUpstreamValid(r: CliResult, what: string): void {
  expect(r.json, `${what}: stdout is not one JSON envelope:\n${r.stdout}\n${r.stderr}`).to.be.an('object')
  const errors = upstreamErrors(r.json)
  expect(errors, `${what} breaks upstream's schema:\n${errors}\n${r.stdout.slice(0, 3000)}`).to.equal(null)
}

const QUANTIZED = 'mlx-community/tiny-qwen2-bpe-4bit'
const TOKEN = 'hf_upstreamSchemaWriterToken'

describe("@spec --json output validates against upstream mlx-knife's schema (0.2.2)", function () {
  this.timeout(180_000)
  let hub: TestHub
  let cache: string
  let work: string

  const mlxk = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runMlxk(args, {env: {HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, MLXK_ALPHA: 'all', ...env}, hubCache: cache})

  before(async () => {
    const repo = await buildRepo({
      commits: [{files: await filesFromFolder(testModelPath('tiny-qwen2-bpe-4bit'))}],
      id: QUANTIZED,
    })
    const gated = await buildRepo({commits: [{files: {'config.json': '{}'}}], gated: 'manual', id: 'test-org/gated'})
    hub = await startTestHub({repos: [repo, gated], writers: {[TOKEN]: ['me']}})
    cache = await buildCache([
      {repoId: 'acme/mlx-unquantized', revisions: [{files: unquantized()}]},
      {repoId: 'acme/gptq', revisions: [{files: gptq()}]},
      {repoId: 'meta/Llama-3-8B', revisions: [{files: pytorchModelFiles()}]},
      {repoId: 'gguf-org/Mistral-GGUF', revisions: [{files: ggufModelFiles()}]},
      {repoId: 'acme/broken-shards', revisions: [{files: shardedModelFiles(3, [2])}]},
    ])
    work = await mkdtemp(join(tempCacheRoot(), 'work-'))
  })
  after(async () => hub?.close())

  it('the relaxed schema still rejects what upstream rejects (the check is not vacuous)', () => {
    const model = {
      name: 'a/b',
      hash: null,
      size_bytes: 1,
      last_modified: '2025-01-01T00:00:00Z',
      framework: 'MLX',
      model_type: 'chat',
      capabilities: [],
      health: 'healthy',
      runtime_compatible: true,
      cached: true,
      an_mlxk_addition: 1,
    }
    const list = (m: object) => ({status: 'success', command: 'list', data: {models: [m], count: 1}, error: null})
    expect(upstreamErrors(list(model))).to.equal(null)
    expect(upstreamErrors(list({...model, quantization: {bits: 4, group_size: 64}}))).to.equal(null)
    expect(upstreamErrors(list({...model, quantization: '4bit'}))).to.match(/quantization/)
    expect(upstreamErrors(list({...model, framework: 'mlx'}))).to.match(/framework/)
    const {cached: _, ...uncached} = model
    expect(upstreamErrors(list(uncached))).to.match(/cached/)
  })

  it('pull: success, already cached, access denied and an invalid name', async () => {
    const pulled = await mlxk(['pull', QUANTIZED, '--json'])
    expect(pulled.exitCode, pulled.stdout + pulled.stderr).to.equal(0)
    expectUpstreamValid(pulled, 'pull')
    expectUpstreamValid(await mlxk(['pull', QUANTIZED, '--json']), 'pull (already cached)')
    const denied = await mlxk(['pull', 'test-org/gated', '--json'])
    expect(denied.json?.error?.type).to.equal('access_denied')
    expectUpstreamValid(denied, 'pull (gated)')
    expectUpstreamValid(await mlxk(['pull', 'a//b', '--json']), 'pull (invalid name)')
  })

  it('list: every framework, quantized or not, healthy or not; an empty match', async () => {
    const r = await mlxk(['list', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expectUpstreamValid(r, 'list')
    const models = (r.json!.data as {models: Array<Record<string, unknown>>}).models
    expect(models.map((m) => m.name)).to.include.members([QUANTIZED, 'acme/broken-shards', 'gguf-org/Mistral-GGUF'])
    expectUpstreamValid(await mlxk(['list', 'no-such-model', '--json']), 'list (no match)')
  })

  it("quantization keeps upstream's type and meaning: config.json's {bits, group_size}, null when not quantized", async () => {
    const models = ((await mlxk(['list', '--json'])).json!.data as {models: Array<Record<string, unknown>>}).models
    const quantization = Object.fromEntries(models.map((m) => [m.name, m.quantization]))
    expect(quantization[QUANTIZED]).to.deep.include({bits: 4, group_size: 32})
    expect(quantization['acme/gptq']).to.deep.include({bits: 8, group_size: 128})
    expect(quantization['acme/mlx-unquantized']).to.equal(null)
    expect(quantization['meta/Llama-3-8B']).to.equal(null)
    const shown = await mlxk(['show', QUANTIZED, '--json'])
    expect((shown.json!.data as {model: Record<string, unknown>}).model.quantization).to.deep.equal(
      quantization[QUANTIZED],
    )
  })

  it('show: default, --files, --config, and its errors', async () => {
    for (const flags of [[], ['--files'], ['--config'], ['--files', '--config']]) {
      const r = await mlxk(['show', QUANTIZED, ...flags, '--json'])
      expect(r.exitCode, r.stderr).to.equal(0)
      expectUpstreamValid(r, `show ${flags.join(' ')}`)
    }

    expectUpstreamValid(await mlxk(['show', 'acme/broken-shards', '--json']), 'show (unhealthy)')
    expectUpstreamValid(await mlxk(['show', 'no-such-model', '--json']), 'show (not found)')
    expectUpstreamValid(await mlxk(['show', 'acme', '--json']), 'show (ambiguous)')
  })

  it('health: all models (one unhealthy), one model, and an ambiguous name', async () => {
    const all = await mlxk(['health', '--json'])
    expect((all.json!.data as {summary: {unhealthy_count: number}}).summary.unhealthy_count).to.equal(1)
    expectUpstreamValid(all, 'health')
    expectUpstreamValid(await mlxk(['health', QUANTIZED, '--json']), 'health (one model)')
    expectUpstreamValid(await mlxk(['health', 'acme', '--json']), 'health (ambiguous)')
  })

  it('version and --version', async () => {
    expectUpstreamValid(await mlxk(['version', '--json']), 'version')
    expectUpstreamValid(await mlxk(['--version', '--json']), '--version')
  })

  it('run: an answer and a missing model', async () => {
    const r = await mlxk(['run', QUANTIZED, 'Hello', '--max-tokens', '4', '--temperature', '0', '--json'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expectUpstreamValid(r, 'run')
    expectUpstreamValid(await mlxk(['run', 'no-such-model', 'Hello', '--json']), 'run (not found)')
  })

  it('clone: a model that is not an org/name', async () => {
    expectUpstreamValid(await mlxk(['clone', 'nope', join(work, 'other'), '--json']), 'clone (invalid name)')
  })

  it('clone: a workspace from the cache', async () => {
    const cloned = await mlxk(['clone', QUANTIZED, join(work, 'clone-check'), '--json'])
    expect(cloned.exitCode, cloned.stdout + cloned.stderr).to.equal(0)
    expectUpstreamValid(cloned, 'clone')
  })

  it('push: a cloned workspace to a new private repo, and without --private', async () => {
    const ws = join(work, 'ws')
    const cloned = await mlxk(['clone', QUANTIZED, ws, '--json'])
    expect(cloned.exitCode, cloned.stdout + cloned.stderr).to.equal(0)
    const pushed = await mlxk(['push', ws, 'me/from-spec', '--private', '--create', '--json'])
    expect(pushed.exitCode, pushed.stdout + pushed.stderr).to.equal(0)
    expectUpstreamValid(pushed, 'push')
    expectUpstreamValid(await mlxk(['push', ws, 'me/from-spec', '--json']), 'push (no --private)')
  })

  it('server: a model that is not cached', async () => {
    expectUpstreamValid(await mlxk(['server', '--model', 'no-such-model', '--json']), 'server (not found)')
  })

  it('rm: refused without --force, a missing model, then deleted', async () => {
    expectUpstreamValid(await mlxk(['rm', QUANTIZED, '--json']), 'rm (no --force)')
    expectUpstreamValid(await mlxk(['rm', 'no-such-model', '--json']), 'rm (not found)')
    const removed = await mlxk(['rm', QUANTIZED, '--force', '--json'])
    expect(removed.exitCode, removed.stdout + removed.stderr).to.equal(0)
    expectUpstreamValid(removed, 'rm')
  })
})

function unquantized(): ReturnType<typeof mlxChatModelFiles> {
  return {
    ...mlxChatModelFiles(),
    'config.json': JSON.stringify({architectures: ['LlamaForCausalLM'], model_type: 'llama'}),
  }
}

/** transformers writes a GPTQ model's quantization under `quantization_config`. */
function gptq(): ReturnType<typeof mlxChatModelFiles> {
  return {
    ...pytorchModelFiles(),
    'config.json': JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      quantization_config: {bits: 8, group_size: 128, quant_method: 'gptq'},
    }),
  }
}
