import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'

import {BIN, runMlxk, ROOT} from '../helpers/run-cli.js'
import {buildRunCache, repoOf, workerTmpdir} from '../helpers/run-models.js'
import {testModelExpectation, waitUntil} from '../helpers/runtime.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

/*
 * `mlxk run` one-shot, through the built CLI, the real Python runtime and the trained test models. Every run
 * starts a worker (about a second), so each test asks for several things at once where it can.
 */

const GREEDY = ['--temperature', '0']

interface RunJson {
  finish_reason: string
  generation_time_s: number
  model: string
  prompt: string
  reasoning: null | string
  resolved: {commit: null | string; kind: string; name: string}
  response: string
  timing: {load_time_s: number; tokens_per_s: number; ttft_s: number}
  tokens_generated: number
  usage: {completion_tokens: number; prompt_tokens: number}
}

/** Worker processes whose command line mentions `dir` (their socket lives there). */
function workersUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dir], {encoding: 'utf8'}).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

describe('mlxk run (one-shot, real runtime)', function () {
  this.timeout(60_000)
  let hub: string
  let env: Record<string, string>

  before(async () => {
    hub = await buildRunCache()
    env = {HF_HUB_CACHE: hub, MLXK_ALPHA: 'run'}
  })

  const run = (args: string[], options: {env?: Record<string, string>; input?: string} = {}) =>
    runMlxk(['run', ...args], {
      env: {...env, ...options.env},
      ...(options.input === undefined ? {} : {input: options.input}),
    })

  it('streams the greedy answer, and --no-stream prints the same text (BPE and SentencePiece, multi-byte UTF-8)', async () => {
    for (const name of ['tiny-qwen2-bpe', 'tiny-llama-spm'] as const) {
      const cases = testModelExpectation(name).cases.filter((c) =>
        ['What is the capital of France?', 'Describe the café.'].includes(c.messages[0]!.content),
      )
      expect(cases).to.have.length(2)
      for (const testCase of cases) {
        const question = testCase.messages[0]!.content
        const [streamed, batch] = await Promise.all([
          run([name, question, ...GREEDY]),
          run([name, question, ...GREEDY, '--no-stream']),
        ])
        expect(streamed.exitCode, streamed.stderr).to.equal(0)
        expect(streamed.stdout).to.equal(testCase.text + '\n')
        expect(batch.stdout).to.equal(streamed.stdout)
        expect(streamed.stderr + batch.stderr).to.equal('')
        expect(streamed.stdout).not.to.include('\uFFFD')
      }
    }
  })

  it('--json returns the schema-valid data: upstream fields plus finish_reason, usage and timings', async () => {
    const r = await run(['tiny-qwen2-bpe', 'Who are you?', ...GREEDY, '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'run')
    const data = r.json!.data as unknown as RunJson
    expect(data.model).to.equal('tiny-qwen2-bpe')
    expect(data.prompt).to.equal('Who are you?')
    expect(data.response).to.equal('I am a tiny test model.')
    expect(data.reasoning).to.equal(null)
    expect(data.finish_reason).to.equal('stop')
    expect(data.resolved).to.include({kind: 'cache', name: repoOf('tiny-qwen2-bpe')})
    expect(data.resolved.commit).to.match(/^[0-9a-f]{40}$/)
    expect(data.tokens_generated).to.equal(data.usage.completion_tokens).and.be.greaterThan(0)
    expect(data.usage.prompt_tokens).to.be.greaterThan(0)
    expect(data.generation_time_s).to.be.greaterThan(0)
    expect(data.timing.ttft_s).to.be.greaterThan(0)
    expect(r.stderr).to.equal('')
  })

  it('keeps a reasoning model’s thinking apart: JSON `reasoning`, hidden when piped, a <think> block on request', async () => {
    const expected = testModelExpectation('tiny-qwen2-think').cases[0]!
    const question = expected.messages[0]!.content
    const json = await run(['tiny-qwen2-think', question, ...GREEDY, '--json'])
    assertValidEnvelope(json.json, 'run')
    const data = json.json!.data as unknown as RunJson
    expect(data.reasoning).to.equal(expected.reasoning!.trim())
    expect(data.response).to.equal(expected.content!.trim())
    const piped = await run(['tiny-qwen2-think', question, ...GREEDY])
    expect(piped.stdout).to.equal(expected.content!.trim() + '\n')
    const shown = await run(['tiny-qwen2-think', question, ...GREEDY, '--show-reasoning'])
    const shownBatch = await run(['tiny-qwen2-think', question, ...GREEDY, '--show-reasoning', '--no-stream'])
    expect(shown.stdout).to.equal(`<think>\n${expected.reasoning!.trim()}\n</think>\n\n${expected.content!.trim()}\n`)
    expect(shownBatch.stdout).to.equal(shown.stdout)
  })

  it('never leaks a stop string, and --max-tokens ends with finish_reason "length"', async () => {
    const {stop_case: stopCase} = testModelExpectation('tiny-qwen2-bpe')
    const question = stopCase!.messages[0]!.content
    const stops = stopCase!.stop.flatMap((s) => ['--stop', s])
    const human = await run(['tiny-qwen2-bpe', question, ...GREEDY, ...stops])
    expect(human.stdout).to.equal(stopCase!.text.trim() + '\n')
    for (const s of stopCase!.stop) expect(human.stdout).not.to.include(s)
    const json = await run(['tiny-qwen2-bpe', question, ...GREEDY, ...stops, '--json'])
    expect((json.json!.data as unknown as RunJson).finish_reason).to.equal('stop')
    const short = await run(['tiny-qwen2-bpe', question, ...GREEDY, '--max-tokens', '3', '--json'])
    assertValidEnvelope(short.json, 'run')
    const data = short.json!.data as unknown as RunJson
    expect(data.finish_reason).to.equal('length')
    expect(data.usage.completion_tokens).to.equal(3)
  })

  it('takes OpenAI-style penalties within -2..2, and refuses values outside as a usage error', async () => {
    const ok = await run([
      'tiny-qwen2-bpe',
      'What is the capital of France?',
      ...GREEDY,
      '--presence-penalty',
      '0.5',
      '--frequency-penalty',
      '0.5',
      '--json',
    ])
    expect(ok.exitCode, ok.stderr).to.equal(0)
    expect((ok.json!.data as unknown as RunJson).finish_reason).to.be.oneOf(['stop', 'length'])
    const bad = await run(['tiny-qwen2-bpe', 'hi', '--presence-penalty', '3', '--json'])
    expect(bad.exitCode).to.equal(2)
  })

  it('reads the prompt from a pipe, and with `-` puts the instruction after the piped text', async () => {
    const piped = await run(['tiny-llama-spm', ...GREEDY], {input: 'What is the capital of France?\n'})
    expect(piped.exitCode, piped.stderr).to.equal(0)
    expect(piped.stdout).to.equal('The capital of France is Paris.\n')
    const dash = await run(['tiny-qwen2-bpe', '-', 'five.', ...GREEDY, '--json', '--max-tokens', '5'], {
      input: 'Count to\n',
    })
    assertValidEnvelope(dash.json, 'run')
    expect((dash.json!.data as unknown as RunJson).prompt).to.equal('Count to\n\nfive.')
    // A prompt argument with piped text: the text is the material, the argument the instruction.
    const both = await run(['tiny-qwen2-bpe', 'List the colors.', ...GREEDY, '--json', '--max-tokens', '2'], {
      input: 'notes\n',
    })
    expect((both.json!.data as unknown as RunJson).prompt).to.equal('notes\n\nList the colors.')
    const unquoted = await run(['tiny-qwen2-bpe', 'What', 'is', 'the', 'capital', 'of', 'France?', ...GREEDY])
    expect(unquoted.stdout).to.equal('The capital of France is Paris.\n')
  })

  it('ends quietly when the reader closes early (| head -c 5), leaving no worker behind', async () => {
    const tmp = workerTmpdir()
    const command = `"${process.execPath}" "${BIN}" run tiny-qwen2-bpe "List the colors." --temperature 0 | head -c 5`
    const child = spawn('bash', ['-c', command], {
      cwd: ROOT,
      env: {...process.env, ...env, MLXK_RUNTIME_STEP_DELAY_S: '0.05', TMPDIR: tmp},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    // Seen while it runs: the worker is there, so the later absence means something.
    const sawWorker = await waitUntil(() => workersUnder(tmp).length > 0, 10_000, 20)
    const code = await new Promise<null | number>((resolve) => child.on('close', resolve))
    expect(sawWorker).to.equal(true)
    expect(code).to.equal(0)
    expect(stdout).to.equal('red, ')
    expect(stderr).to.equal('')
    expect(await waitUntil(() => workersUnder(tmp).length === 0, 5000)).to.equal(
      true,
      `orphans: ${workersUnder(tmp).join(', ')}`,
    )
  })

  it('runs a model folder given as a path (relative and absolute)', async () => {
    const relative = await run(['./test/fixtures/models/tiny-qwen2-bpe', 'Who are you?', ...GREEDY, '--json'])
    expect(relative.exitCode, relative.stderr).to.equal(0)
    assertValidEnvelope(relative.json, 'run')
    const data = relative.json!.data as unknown as RunJson
    expect(data.response).to.equal('I am a tiny test model.')
    expect(data.resolved).to.deep.equal({
      commit: null,
      kind: 'workspace',
      name: './test/fixtures/models/tiny-qwen2-bpe',
    })
    const absolute = await run([join(ROOT, 'test/fixtures/models/tiny-llama-spm'), 'Count to five.', ...GREEDY])
    expect(absolute.stdout).to.equal('one two three four five\n')
    const missing = await run(['./no/such/folder', 'hi', '--json'])
    expect(missing.exitCode).to.equal(1)
    expect(missing.json!.error!.type).to.equal('workspace_not_found')
  })

  it('--verbose reports load time, TTFT and tokens/s on stderr and leaves stdout to the answer', async () => {
    const r = await run(['tiny-qwen2-bpe', 'Who are you?', ...GREEDY, '--verbose'])
    expect(r.stdout).to.equal('I am a tiny test model.\n')
    expect(r.stderr).to.match(/loaded mlxk-test\/tiny-qwen2-bpe in \d+\.\d+ s/)
    expect(r.stderr).to.match(/TTFT \d+\.\d+ s · \d+(\.\d+)? tokens\/s · finish stop/)
  })
})

describe('mlxk run (refusals before the runtime starts)', function () {
  this.timeout(30_000)
  let hub: string
  let env: Record<string, string>

  before(async () => {
    hub = await buildRunCache()
    // A runtime that cannot start: any answer other than runtime_missing proves the check ran before Python.
    env = {HF_HUB_CACHE: hub, MLXK_ALPHA: 'run', MLXK_PYTHON: '/nonexistent/python'}
  })

  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    runMlxk(['run', ...args], {env: {...env, ...extraEnv}})

  it('is refused while the run plugin is not enabled (feature_disabled, exit 4)', async () => {
    const r = await run(['tiny-qwen2-bpe', 'hi', '--json'], {MLXK_ALPHA: ''})
    expect(r.exitCode).to.equal(4)
    assertValidEnvelope(r.json)
    expect(r.json!.error!.type).to.equal('feature_disabled')
    expect(r.json!.error!.hint).to.match(/MLXK_ALPHA=run|alpha enable run/)
  })

  it('names the problem and the fix: unhealthy, GGUF, PyTorch, missing, ambiguous', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['broken-mlx', 'model_unhealthy', /shard/i],
      ['llama-gguf', 'model_not_runnable', /GGUF/],
      ['llama-pytorch', 'model_not_runnable', /PyTorch/],
      ['no-such-model', 'model_not_found', /no-such-model/],
      ['tiny-qwen2', 'ambiguous_match', /Multiple models/],
    ]
    for (const [spec, type, message] of cases) {
      const r = await run([spec, 'hi', '--json'])
      expect(r.exitCode, spec).to.equal(1)
      assertValidEnvelope(r.json)
      expect(r.json!.error!.type, spec).to.equal(type)
      expect(r.json!.error!.message, spec).to.match(message)
      expect(r.json!.error!.hint, spec).to.be.a('string').and.not.equal('')
    }

    const ambiguous = await run(['tiny-qwen2', 'hi', '--json'])
    expect(ambiguous.json!.error!.matches).to.deep.equal([repoOf('tiny-qwen2-bpe'), repoOf('tiny-qwen2-think')])
    // The one runnable model gets as far as starting Python, which is missing here: the error names the fix.
    const noRuntime = await run(['tiny-qwen2-bpe', 'hi', '--json'])
    expect(noRuntime.exitCode).to.equal(1)
    expect(noRuntime.json!.error!.type).to.equal('runtime_missing')
    expect(noRuntime.json!.error!.hint).to.include('mlxk runtime setup')
    const human = await run(['llama-gguf', 'hi'])
    expect(human.stdout).to.equal('')
    expect(human.stderr).to.match(
      /^mlxk run: Error: Model 'acme\/llama-gguf' cannot run with mlx-lm: .*GGUF\n {2}Hint: .*MLX/,
    )
  })

  it('refuses bad usage with exit 2: a value out of range, --system without the template', async () => {
    const temperature = await run(['tiny-qwen2-bpe', 'hi', '--temperature', 'hot', '--json'])
    expect(temperature.exitCode).to.equal(2)
    expect(temperature.json!.error!.type).to.equal('CommandError')
    const topP = await run(['tiny-qwen2-bpe', 'hi', '--top-p', '1.5'])
    expect(topP.exitCode).to.equal(2)
    const system = await run(['tiny-qwen2-bpe', 'hi', '--system', 'be brief', '--no-chat-template', '--json'])
    expect(system.exitCode).to.equal(2)
    expect(system.json!.error!.message).to.match(/--system needs the chat template/)
  })
})
