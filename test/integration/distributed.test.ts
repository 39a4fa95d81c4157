import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'
import OpenAI from 'openai'

import {runMlxk} from '../helpers/run-cli.js'
import {workerTmpdir} from '../helpers/run-models.js'
import {processExists, testModelExpectation, testModelPath, waitUntil} from '../helpers/runtime.js'
import {assertValidEnvelope} from '../helpers/schemas.js'
import {
  allGone,
  buildServerCache,
  delay,
  getJson,
  postJson,
  readSse,
  type RunningServer,
  startServer,
  testModelId,
} from '../helpers/server.js'

/*
 * Distributed groups (docs/distributed.md) through the built CLI and the real runtime: two ranks on this machine
 * over loopback with the ring backend, started by mlx.launch. Remote hosts are simulated with a fake `ssh` on
 * PATH that runs the command here. Every group's socket lives under this file's private TMPDIR, so
 * `pgrep -f <dir>` finds exactly the rank processes started here (the tests run one after another, and each
 * checks that its ranks are gone). One TMPDIR for the whole file also keeps MLX's CPU kernel cache
 * ($TMPDIR/mlx), which every rank would otherwise rebuild with the C++ compiler, for seconds, on each launch.
 */

const LOCAL2 = '127.0.0.1,127.0.0.1'
const SPM = testModelId('tiny-llama-spm')
const BPE = testModelId('tiny-qwen2-bpe')
const BPE_4BIT = testModelId('tiny-qwen2-bpe-4bit')
/** Two of the trained answers per model: ASCII and multi-byte UTF-8 (split across tokens when streamed). */
const PICKED = ['What is the capital of France?', 'Describe the café.']
/** EOS ids of tiny-llama-spm (`</s>`, `<|eot_id|>`), biased away so a generation runs to max_tokens. */
const SPM_NO_EOS = Object.fromEntries(testModelExpectation('tiny-llama-spm').eos_token_ids.map((id) => [id, -100]))

interface Rank {
  host: string
  pid: number
  rank: number
}

interface Health {
  models: {
    id: string
    loaded: boolean
    sharding: null | {layers: number[][]; mode: string; num_layers: number; world_size: number}
  }[]
  runtime: {
    pid: null | number
    restarts: number
    topology: null | {backend: string; hosts: string[]; ranks: Rank[]; world_size: number}
  }
  status: string
}

interface Answer {
  finish: null | string
  text: string
}

/** Pids of processes whose command line mentions `dir` (a group's socket dir lives there: launcher and ranks). */
function pidsUnder(dir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', dir], {encoding: 'utf8'}).split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** SIGKILLs what this file started and left behind (only pids found under its own private dirs). */
function killUnder(dir: string): void {
  for (const pid of pidsUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}

/** Polls an async condition until it holds or `timeoutMs` passes. */
async function eventually(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await delay(50)
  }

  return condition()
}

const health = async (server: RunningServer): Promise<Health> => (await getJson<Health>(`${server.url}/health`)).body

function openai(server: RunningServer): OpenAI {
  return new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
}

async function chatOnce(server: RunningServer, model: string, content: string): Promise<Answer> {
  const done = await openai(server).chat.completions.create({
    messages: [{content, role: 'user'}],
    model,
    temperature: 0,
  })
  return {finish: done.choices[0]!.finish_reason, text: done.choices[0]!.message.content ?? ''}
}

async function chatStreamed(server: RunningServer, model: string, content: string): Promise<Answer> {
  const stream = await openai(server).chat.completions.create({
    messages: [{content, role: 'user'}],
    model,
    stream: true,
    temperature: 0,
  })
  const answer: Answer = {finish: null, text: ''}
  for await (const chunk of stream) {
    const choice = chunk.choices[0]
    if (!choice) continue
    answer.text += choice.delta.content ?? ''
    answer.finish = choice.finish_reason ?? answer.finish
  }

  return answer
}

describe('mlxk distributed groups (two local ranks, ring backend over loopback)', function () {
  this.timeout(120_000)
  let hubCache: string
  let tmp: string

  before(async () => {
    tmp = workerTmpdir()
    hubCache = await buildServerCache(['tiny-llama-spm', 'tiny-qwen2-bpe', 'tiny-qwen2-bpe-4bit'])
  })

  after(() => {
    if (tmp) killUnder(tmp)
  })

  describe('serve --hosts 127.0.0.1,127.0.0.1', () => {
    let group: RunningServer
    let plain: RunningServer

    before(async function () {
      this.timeout(180_000)
      const models = ['--model', SPM, '--model', BPE, '--max-loaded', '2']
      // The single-process server is the reference: a group must answer exactly as one process does.
      ;[group, plain] = await Promise.all([
        startServer({
          args: [...models, '--hosts', LOCAL2, '--grace-period', '5s'],
          command: 'serve',
          env: {MLXK_RUNTIME_STEP_DELAY_S: '0.01', TMPDIR: tmp},
          hubCache,
          timeoutMs: 150_000,
        }),
        startServer({args: models, command: 'serve', hubCache, timeoutMs: 150_000}),
      ])
    })

    after(async () => {
      await Promise.all([group?.stop('SIGKILL'), plain?.stop()])
      killUnder(tmp)
    })

    it('answers greedy chat completions (streamed and not) and /v1/completions as a single process does', async () => {
      for (const name of ['tiny-llama-spm', 'tiny-qwen2-bpe'] as const) {
        const model = testModelId(name)
        const cases = testModelExpectation(name).cases.filter((c) => PICKED.includes(c.messages[0]!.content))
        expect(cases).to.have.length(PICKED.length)
        for (const c of cases) {
          const content = c.messages[0]!.content
          const [once, streamed, reference] = await Promise.all([
            chatOnce(group, model, content),
            chatStreamed(group, model, content),
            chatOnce(plain, model, content),
          ])
          const where = `${name}: ${content}`
          expect(reference.text, where).to.equal(c.text)
          expect(once, where).to.deep.equal(reference)
          expect(streamed, where).to.deep.equal(reference)
        }
      }

      const prompt = 'The capital of France is'
      const body = {max_tokens: 12, model: SPM, prompt, temperature: 0}
      const [viaGroup, viaPlain] = await Promise.all([
        openai(group).completions.create(body),
        openai(plain).completions.create(body),
      ])
      expect(viaGroup.choices[0]!.text).to.be.a('string').and.not.equal('')
      expect(viaGroup.choices[0]!.text).to.equal(viaPlain.choices[0]!.text)
      expect(viaGroup.choices[0]!.finish_reason).to.equal(viaPlain.choices[0]!.finish_reason)
      expect(viaGroup.usage).to.deep.equal(viaPlain.usage)
    })

    it('/health shows the topology and each model tensor-sharded; /metrics has the rank and sharding series', async () => {
      const h = await health(group)
      expect(h.status).to.equal('healthy')
      const topology = h.runtime.topology!
      expect(topology, JSON.stringify(h.runtime)).to.be.an('object')
      expect(topology.backend).to.equal('ring')
      expect(topology.world_size).to.equal(2)
      expect(topology.ranks.map((r) => r.rank)).to.deep.equal([0, 1])
      const pids = topology.ranks.map((r) => r.pid)
      expect(new Set(pids).size).to.equal(2)
      for (const pid of pids) expect(processExists(pid), `rank pid ${pid}`).to.equal(true)
      // Both ranks run here: one host, this machine's name as the ranks report it.
      expect(topology.ranks.map((r) => r.host)).to.deep.equal([hostname(), hostname()])
      expect(topology.hosts).to.deep.equal([hostname()])
      // The runtime pid is mlx.launch's, which is neither rank.
      expect(h.runtime.pid).to.be.a('number')
      expect(pids).to.not.include(h.runtime.pid)
      expect(pidsUnder(tmp)).to.include.members([...pids, h.runtime.pid!])
      for (const id of [SPM, BPE]) {
        const model = h.models.find((m) => m.id === id)
        expect(model?.loaded, id).to.equal(true)
        expect(model!.sharding, id).to.include({mode: 'tensor', world_size: 2})
        expect(model!.sharding!.num_layers).to.be.a('number').above(0)
        expect(model!.sharding!.layers).to.have.length(2)
      }

      const single = await health(plain)
      expect(single.runtime.topology).to.equal(null)
      expect(single.models.find((m) => m.id === SPM)?.sharding).to.equal(null)

      const metrics = await (await fetch(`${group.url}/metrics`)).text()
      expect(metrics).to.match(/^mlxk_runtime_ranks\{backend="ring"\} 2$/m)
      for (const rank of topology.ranks) {
        const info = `mlxk_runtime_rank_info{host="${rank.host}",pid="${rank.pid}",rank="${rank.rank}"} 1`
        expect(metrics.split('\n')).to.include(info)
      }

      for (const id of [SPM, BPE]) {
        expect(metrics.split('\n')).to.include(`mlxk_model_sharding_ranks{mode="tensor",model="${id}"} 2`)
      }

      const plainMetrics = await (await fetch(`${plain.url}/metrics`)).text()
      expect(plainMetrics).to.match(/^mlxk_runtime_ranks\{backend="none"\} 1$/m)
      expect(plainMetrics).to.not.match(/^mlxk_runtime_rank_info\{/m)
    })

    it('a rank killed mid-stream ends the stream with an error; the next request relaunches the group', async () => {
      const before = await health(group)
      const oldRanks = before.runtime.topology!.ranks.map((r) => r.pid)
      const oldLauncher = before.runtime.pid!
      const response = await postJson(`${group.url}/v1/chat/completions`, {
        logit_bias: SPM_NO_EOS,
        max_tokens: 400,
        messages: [{content: 'What is the capital of France?', role: 'user'}],
        model: SPM,
        stream: true,
        temperature: 0,
      })
      expect(response.status).to.equal(200)
      let firstToken: () => void
      const started = new Promise<void>((resolve) => (firstToken = resolve))
      const events = readSse(response, (data) => {
        if (data.includes('"content":"') && !data.includes('"content":""')) firstToken()
      }).catch((error: unknown) => [`connection failed: ${String(error)}`])
      // A stream that ends without any content (it should not) fails the assertions below instead of hanging.
      await Promise.race([started, events])
      process.kill(oldRanks[1]!, 'SIGKILL')
      const all = await events
      const last = all.at(-1)!
      expect(last, all.slice(-3).join('\n')).to.not.equal('[DONE]')
      expect(all).to.not.include('[DONE]')
      // Ended by an SSE error event (the server's way), not by a normal finish.
      const parsed = JSON.parse(last) as {error?: {code: string; message: string; type: string}}
      expect(parsed.error, last).to.include({code: 'worker_exited', type: 'server_error'})
      // Well before 400 tokens: the rank's death ended the generation, not max_tokens.
      expect(all.length).to.be.below(200)
      // Rank 0 notices the lost peer and exits; mlx.launch takes down what is left of the group.
      expect(await allGone([...oldRanks, oldLauncher], 15_000), `still alive: ${pidsUnder(tmp)}`).to.equal(true)

      const again = await chatOnce(group, SPM, 'What is the capital of France?')
      expect(again).to.deep.equal({finish: 'stop', text: 'The capital of France is Paris.'})
      const after = await health(group)
      expect(after.runtime.restarts).to.be.at.least(before.runtime.restarts + 1)
      const newRanks = after.runtime.topology!.ranks.map((r) => r.pid)
      expect(newRanks).to.have.length(2)
      for (const pid of newRanks) expect(oldRanks).to.not.include(pid)
      expect(after.runtime.pid).to.not.equal(oldLauncher)
      // The relaunched group loads the models again (sharded) before answering.
      expect(after.models.find((m) => m.id === SPM)?.sharding?.mode).to.equal('tensor')
    })

    it('a rank killed during a non-streamed request answers 503; the group comes back for the next one', async () => {
      const before = await health(group)
      const ranks = before.runtime.topology!.ranks.map((r) => r.pid)
      const pending = postJson(`${group.url}/v1/chat/completions`, {
        logit_bias: SPM_NO_EOS,
        max_tokens: 400,
        messages: [{content: 'Count to five.', role: 'user'}],
        model: SPM,
        temperature: 0,
      })
      // Rank 1 dies once the request is generating (the model is loaded, so that is at once).
      const busy = async () => (await getJson<{in_flight: number}>(`${group.url}/health`)).body.in_flight > 0
      expect(await eventually(busy, 10_000)).to.equal(true)
      await delay(500)
      process.kill(ranks[1]!, 'SIGKILL')
      const response = await pending
      const body = (await response.json()) as {error?: {code: string; message: string; type: string}}
      expect(response.status, JSON.stringify(body)).to.equal(503)
      expect(body.error).to.include({code: 'worker_exited', type: 'server_error'})
      expect(response.headers.get('retry-after'), 'Retry-After').to.be.a('string')
      expect(await allGone(ranks, 15_000)).to.equal(true)
      const again = await chatStreamed(group, BPE, 'Who are you?')
      expect(again).to.deep.equal({finish: 'stop', text: 'I am a tiny test model.'})
      expect((await health(group)).runtime.restarts).to.be.at.least(before.runtime.restarts + 1)
    })

    it('an unshardable model asked for on demand is a 400, and no resident model loses its place', async () => {
      const response = await postJson(`${group.url}/v1/chat/completions`, {
        max_tokens: 5,
        messages: [{content: 'hi', role: 'user'}],
        model: BPE_4BIT,
      })
      const body = (await response.json()) as {error?: {code: string; param?: string}}
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expect(body.error).to.include({code: 'unshardable_model', param: 'model'})
      const loaded = (await health(group)).models.filter((m) => m.loaded).map((m) => m.id)
      expect(loaded).to.have.members([SPM, BPE])
      expect(await chatStreamed(group, BPE, 'Who are you?')).to.deep.equal({
        finish: 'stop',
        text: 'I am a tiny test model.',
      })
    })

    it('SIGTERM stops the server and every rank of its group', async () => {
      const h = await health(group)
      const pids = [...h.runtime.topology!.ranks.map((r) => r.pid), h.runtime.pid!]
      expect(pidsUnder(tmp)).to.include.members(pids)
      const signalledAt = Date.now()
      expect(await group.stop('SIGTERM')).to.equal(0)
      expect(await allGone(pids, 5000), `still alive: ${pids.filter((p) => processExists(p))}`).to.equal(true)
      expect(await waitUntil(() => pidsUnder(tmp).length === 0, 5000), `left: ${pidsUnder(tmp)}`).to.equal(true)
      expect(Date.now() - signalledAt).to.be.below(10_000)
      expect(group.stderr()).to.match(/SIGTERM received/)
    })
  })

  describe('preflight and usage errors', () => {
    it('refuses an unshardable model before listening (serve) or loading (run): unshardable_model', async () => {
      const env = {MLXK_ALPHA: 'all', TMPDIR: tmp}
      const [served, run, three] = await Promise.all([
        runMlxk(['serve', '--port', '0', '--json', '--hosts', LOCAL2, '--model', BPE_4BIT], {env, hubCache}),
        runMlxk(['run', testModelPath('tiny-qwen2-bpe-4bit'), 'hi', '--hosts', LOCAL2, '--json'], {env}),
        // tiny-llama-spm splits over two ranks (see above) but not over three.
        runMlxk(['run', testModelPath('tiny-llama-spm'), 'hi', '--hosts', '127.0.0.1,127.0.0.1,127.0.0.1', '--json'], {
          env,
        }),
      ])
      expect(served.exitCode, served.stdout + served.stderr).to.equal(1)
      expect(served.stdout).to.not.include('"listening"')
      expect(served.json?.error?.type, served.stdout + served.stderr).to.equal('unshardable_model')
      // Refused by the preflight, before any model load (so before any group launch).
      expect(served.stderr).to.include('checking the 2 ranks').and.not.include('loading')

      expect(run.exitCode, run.stdout + run.stderr).to.equal(1)
      assertValidEnvelope(run.json, 'run')
      expect(run.json?.error?.type).to.equal('unshardable_model')
      expect(run.json?.error?.message).to.include('tiny-qwen2-bpe-4bit')
      expect(run.json?.error as Record<string, unknown>).to.include({sharding: 'auto', world_size: 2})

      expect(three.exitCode, three.stdout + three.stderr).to.equal(1)
      expect(three.json?.error?.type).to.equal('unshardable_model')
      expect(three.json?.error as Record<string, unknown>).to.include({world_size: 3})
      expect(pidsUnder(tmp)).to.deep.equal([])
    })

    it('usage errors exit 2 with distributed_config_invalid', async () => {
      const dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'hostfiles-'))
      const hostfile = join(dir, 'hosts.json')
      writeFileSync(hostfile, JSON.stringify([{ips: ['127.0.0.1'], ssh: '127.0.0.1'}, {ssh: '127.0.0.1'}]))
      const malformed = join(dir, 'malformed.json')
      writeFileSync(malformed, '{"hosts": [{"ssh": "127.0.0.1"},')
      const oneHost = join(dir, 'one-host.json')
      writeFileSync(oneHost, JSON.stringify({hosts: [{ssh: '127.0.0.1'}]}))
      const spm = testModelPath('tiny-llama-spm')
      const serve = ['serve', '--port', '0', '--json', '--model', SPM]
      const run = ['run', spm, 'hi', '--json']
      const invocations: [string, string[]][] = [
        ['--hosts and --hostfile', [...run, '--hosts', LOCAL2, '--hostfile', hostfile]],
        ['a single host', [...serve, '--hosts', '127.0.0.1']],
        ['first host not this machine', [...run, '--hosts', '10.255.255.1,127.0.0.1']],
        ['--sharding without --hosts', [...serve, '--sharding', 'tensor']],
        ['malformed hostfile', [...run, '--hostfile', malformed]],
        ['hostfile with one host', [...run, '--hostfile', oneHost]],
      ]
      const results = await Promise.all(
        invocations.map(([, args]) => runMlxk(args, {env: {MLXK_ALPHA: 'all'}, hubCache})),
      )
      for (const [i, [what]] of invocations.entries()) {
        const result = results[i]!
        expect(result.exitCode, `${what}: ${result.stdout}${result.stderr}`).to.equal(2)
        expect(result.json?.error?.type, what).to.equal('distributed_config_invalid')
      }
    })
  })

  describe('remote hosts over ssh (a fake ssh that runs the command here)', () => {
    let bin: string
    let log: string
    let dir: string
    const spm = testModelPath('tiny-llama-spm')
    const ANSWER = 'The capital of France is Paris.'

    before(() => {
      dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'fake-ssh-'))
      bin = join(dir, 'bin')
      log = join(dir, 'ssh.log')
      mkdirSync(bin)
      // ssh's own options are skipped; a host named down-* refuses the connection as a real ssh would.
      const script = [
        '#!/usr/bin/env bash',
        'while [ $# -gt 0 ]; do',
        '  case "$1" in',
        '    -[oplFiJ]) shift 2 ;;',
        '    -*) shift ;;',
        '    *) break ;;',
        '  esac',
        'done',
        'host=$1; shift',
        `printf '%s %s\\n' "$host" "$*" >> ${JSON.stringify(log)}`,
        'case "$host" in',
        '  down-*) echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255 ;;',
        'esac',
        'exec bash -c "$*"',
        '',
      ].join('\n')
      writeFileSync(join(bin, 'ssh'), script)
      chmodSync(join(bin, 'ssh'), 0o755)
    })

    const sshLog = (): string => {
      try {
        return readFileSync(log, 'utf8')
      } catch {
        return ''
      }
    }

    async function runOver(hosts: Record<string, unknown>[]) {
      const hostfile = join(dir, `hosts-${Date.now()}.json`)
      writeFileSync(hostfile, JSON.stringify({hosts}))
      writeFileSync(log, '')
      return runMlxk(
        [
          'run',
          spm,
          'What is the capital of France?',
          '--temperature',
          '0',
          '--json',
          '--verbose',
          '--hostfile',
          hostfile,
        ],
        {
          env: {MLXK_ALPHA: 'run', PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp},
          timeoutMs: 90_000,
        },
      )
    }

    const local = {ips: ['127.0.0.1'], ssh: '127.0.0.1'}

    it('runs rank 1 through ssh, with the model at the same path', async () => {
      const result = await runOver([local, {ips: ['127.0.0.1'], ssh: 'node-b'}])
      expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
      assertValidEnvelope(result.json, 'run')
      const data = result.json?.data as {
        distributed: {sharding: {mode: string}; topology: {ranks: {rank: number}[]; world_size: number}}
        response: string
      }
      expect(data.response).to.equal(ANSWER)
      expect(data.distributed.topology.world_size).to.equal(2)
      expect(data.distributed.topology.ranks.map((r) => r.rank)).to.deep.equal([0, 1])
      expect(data.distributed.sharding.mode).to.equal('tensor')
      expect(result.stderr).to.include('tensor parallel over 2 ranks')
      const lines = sshLog().split('\n').filter(Boolean)
      // The preflight check, then mlx.launch starting rank 1 (and perhaps its kill script): all to node-b.
      expect(lines.length, sshLog()).to.be.at.least(2)
      for (const line of lines) expect(line.startsWith('node-b '), line).to.equal(true)
      expect(sshLog()).to.include(spm)
      expect(sshLog()).to.include('MLX_RANK=1')
      expect(sshLog()).to.not.include('MLX_RANK=0')
      expect(await waitUntil(() => pidsUnder(tmp).length === 0, 5000), `left: ${pidsUnder(tmp)}`).to.equal(true)
    })

    it('host_unreachable when ssh cannot connect; model_missing_on_host when path_map points nowhere', async () => {
      const down = await runOver([local, {ips: ['127.0.0.1'], ssh: 'down-b'}])
      expect(down.exitCode, down.stdout + down.stderr).to.equal(1)
      expect(down.json?.error?.type).to.equal('host_unreachable')
      expect(down.json?.error?.message).to.include('down-b')
      expect(sshLog()).to.match(/^down-b /)

      const nowhere = join(dir, 'no-such-dir')
      const missing = await runOver([local, {ips: ['127.0.0.1'], path_map: {[dirname(spm)]: nowhere}, ssh: 'node-b'}])
      expect(missing.exitCode, missing.stdout + missing.stderr).to.equal(1)
      expect(missing.json?.error?.type).to.equal('model_missing_on_host')
      expect(missing.json?.error?.message).to.include(join(nowhere, 'tiny-llama-spm'))
      expect(pidsUnder(tmp)).to.deep.equal([])
    })

    it('path_map sends rank 1 to its own copy of the model', async () => {
      const elsewhere = join(dir, 'elsewhere')
      cpSync(spm, join(elsewhere, 'tiny-llama-spm'), {recursive: true})
      const result = await runOver([local, {ips: ['127.0.0.1'], path_map: {[dirname(spm)]: elsewhere}, ssh: 'node-b'}])
      expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
      expect((result.json?.data as {response: string}).response).to.equal(ANSWER)
      expect(sshLog()).to.include(join(elsewhere, 'tiny-llama-spm'))
      expect(sshLog()).to.include('MLX_RANK=1')

      // The control: a copy without weights passes the ssh check (config.json is there) but rank 1 cannot load it,
      // so rank 1 really loads from the mapped path.
      const hollow = join(dir, 'hollow')
      mkdirSync(join(hollow, 'tiny-llama-spm'), {recursive: true})
      for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
        cpSync(join(spm, file), join(hollow, 'tiny-llama-spm', file))
      }

      const broken = await runOver([local, {ips: ['127.0.0.1'], path_map: {[dirname(spm)]: hollow}, ssh: 'node-b'}])
      expect(broken.exitCode, broken.stdout + broken.stderr).to.equal(1)
      expect(broken.json?.error?.type).to.equal('model_load_failed')
      expect(broken.json?.error?.message).to.match(/1 of 2 ranks/)
      expect(await waitUntil(() => pidsUnder(tmp).length === 0, 5000), `left: ${pidsUnder(tmp)}`).to.equal(true)
    })
  })
})
