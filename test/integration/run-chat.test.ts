import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {PtySession} from '../helpers/pty.js'
import {buildRunCache, repoOf, workerTmpdir} from '../helpers/run-models.js'
import {waitUntil} from '../helpers/runtime.js'

/*
 * Interactive `mlxk run` in a pseudo-terminal (test/helpers/run-pty.py), with the real runtime and test models.
 * The models were trained on single questions, so "history reaches the model" is observed where it is exact:
 * the prompt token count `--verbose` reports, and the transcript `/save` writes.
 */

interface SavedChat {
  messages: Array<{content: string; role: string}>
  model: string
}

function workersUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dir], {encoding: 'utf8'}).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** The prompt token count of the latest `--verbose` line in `text`, or with `cached`, how many were cached. */
function promptTokens(text: string, which: 'all' | 'cached' = 'all'): number {
  const all = [...text.matchAll(/prompt (\d+) tokens \((\d+) cached\)/g)]
  const last = all.at(-1)
  if (!last) throw new Error(`no verbose line in:\n${text}`)
  return Number(last[which === 'all' ? 1 : 2])
}

describe('mlxk run (interactive chat in a terminal)', function () {
  this.timeout(60_000)
  let env: Record<string, string>
  let out: string

  before(async () => {
    const hub = await buildRunCache()
    env = {HF_HUB_CACHE: hub, MLXK_ALPHA: 'run'}
    out = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX ?? '/tmp', 'chat-'))
  })

  const chat = (args: string[], extraEnv: Record<string, string> = {}) =>
    PtySession.start(['run', ...args, '--temperature', '0', '--verbose'], {env: {...env, ...extraEnv}})

  it('keeps the history across turns, /save writes it, /clear and /system change it, exit leaves with 0', async () => {
    const tmp = workerTmpdir()
    const s = chat(['tiny-qwen2-bpe'], {TMPDIR: tmp})
    try {
      await s.expect('>>> ')
      s.sendLine('What is the capital of France?')
      const first = await s.expect(/finish \w+/)
      expect(first).to.include('The capital of France is Paris.')
      const alone = promptTokens(first)
      await s.expect('>>> ')
      s.sendLine('Who are you?')
      const second = await s.expect(/finish \w+/)
      // The second request carried the first turn: more prompt tokens than the question alone could need.
      expect(promptTokens(second)).to.be.greaterThan(alone + 10)
      // The worker kept the first turn's KV, so that turn was not prefilled again.
      expect(promptTokens(first, 'cached')).to.equal(0)
      expect(promptTokens(second, 'cached')).to.be.at.least(alone)
      await s.expect('>>> ')
      s.sendLine(`/save ${join(out, 'two.json')}`)
      await s.expect('Saved 2 turn(s)')
      const saved = JSON.parse(readFileSync(join(out, 'two.json'), 'utf8')) as SavedChat
      expect(saved.model).to.equal(repoOf('tiny-qwen2-bpe'))
      expect(saved.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant'])
      expect(saved.messages[1]).to.deep.equal({content: 'The capital of France is Paris.', role: 'assistant'})
      await s.expect('>>> ')
      s.sendLine('/clear')
      await s.expect('Cleared the conversation.')
      await s.expect('>>> ')
      s.sendLine('What is the capital of France?')
      const afterClear = await s.expect(/finish \w+/)
      expect(afterClear).to.include('The capital of France is Paris.')
      expect(promptTokens(afterClear)).to.equal(alone)
      await s.expect('>>> ')
      s.sendLine('/system Answer briefly.')
      await s.expect('System prompt set.')
      await s.expect('>>> ')
      s.sendLine(`/save ${join(out, 'system.md')}`)
      await s.expect('Saved 1 turn(s) as markdown')
      expect(readFileSync(join(out, 'system.md'), 'utf8')).to.equal(
        `# Chat with ${repoOf('tiny-qwen2-bpe')}\n\n**System:** Answer briefly.\n\n## User\n\nWhat is the capital of France?\n\n## Assistant\n\nThe capital of France is Paris.\n`,
      )
      await s.expect('>>> ')
      s.sendLine('exit')
      expect(await s.exitCode()).to.equal(0)
    } finally {
      s.kill()
    }

    expect(await waitUntil(() => workersUnder(tmp).length === 0, 5000)).to.equal(true)
  })

  it('Ctrl-C stops an answer and the next question works; Ctrl-C twice at an empty prompt leaves', async () => {
    const s = chat(['tiny-qwen2-bpe'], {MLXK_RUNTIME_STEP_DELAY_S: '0.05'})
    try {
      await s.expect('>>> ')
      s.sendLine('List the colors.')
      await s.expect('red')
      s.send('\u0003')
      const stopped = await s.expect('[interrupted')
      expect(stopped).to.include('finish cancelled')
      expect(stopped).not.to.include('and more')
      await s.expect('>>> ')
      s.sendLine('What is the capital of France?')
      const next = await s.expect(/finish \w+/)
      expect(next).to.include('The capital of France is Paris.')
      expect(next).to.include('finish stop')
      await s.expect('>>> ')
      s.sendLine(`/save ${join(out, 'after-interrupt.json')}`)
      await s.expect('Saved 1 turn(s)')
      const saved = JSON.parse(readFileSync(join(out, 'after-interrupt.json'), 'utf8')) as SavedChat
      // The interrupted turn is not part of the history.
      expect(saved.messages.map((m) => m.content)).to.deep.equal([
        'What is the capital of France?',
        'The capital of France is Paris.',
      ])
      await s.expect('>>> ')
      s.send('\u0003')
      await s.expect('Press Ctrl-C again')
      s.send('\u0003')
      expect(await s.exitCode()).to.equal(0)
    } finally {
      s.kill()
    }
  })

  it('takes """ multi-line input as one message and leaves on Ctrl-D', async () => {
    const s = chat(['tiny-qwen2-bpe', '--max-tokens', '4'])
    try {
      await s.expect('>>> ')
      s.sendLine('"""first line')
      await s.expect('... ')
      s.sendLine('second line')
      await s.expect('... ')
      s.sendLine('end"""')
      await s.expect(/finish \w+/)
      await s.expect('>>> ')
      s.sendLine(`/save ${join(out, 'multi.json')}`)
      await s.expect('Saved 1 turn(s)')
      const saved = JSON.parse(readFileSync(join(out, 'multi.json'), 'utf8')) as SavedChat
      expect(saved.messages[0]).to.deep.equal({content: 'first line\nsecond line\nend', role: 'user'})
      await s.expect('>>> ')
      s.send('\u0004')
      expect(await s.exitCode()).to.equal(0)
    } finally {
      s.kill()
    }
  })

  it('drops the oldest turns with a notice when the context (256 tokens) fills up', async () => {
    const s = chat(['tiny-qwen2-bpe', '--max-tokens', '8'])
    const long = 'What is the capital of France? '.repeat(6).trim()
    try {
      for (let turn = 1; turn <= 4; turn++) {
        await s.expect('>>> ')
        s.sendLine(`${turn} ${long}`)
        await s.expect(/finish \w+/)
      }

      expect(s.text, s.text).to.include('Context full: dropped the oldest turn')
      await s.expect('>>> ')
      s.sendLine(`/save ${join(out, 'trimmed.json')}`)
      await s.expect(/Saved \d turn/)
      const saved = JSON.parse(readFileSync(join(out, 'trimmed.json'), 'utf8')) as SavedChat
      const questions = saved.messages.filter((m) => m.role === 'user').map((m) => m.content.split(' ')[0])
      expect(questions.at(-1)).to.equal('4')
      expect(questions).not.to.include('1')
      await s.expect('>>> ')
      s.sendLine('quit')
      expect(await s.exitCode()).to.equal(0)
    } finally {
      s.kill()
    }
  })

  it('refuses --json without a prompt before loading anything (JSON error, exit 2)', async () => {
    const s = PtySession.start(['run', 'tiny-qwen2-bpe', '--json'], {env: {...env, MLXK_PYTHON: '/nonexistent/python'}})
    try {
      const code = await s.exitCode()
      const envelope = JSON.parse(s.text) as {error: {message: string; type: string}; status: string}
      expect(code).to.equal(2)
      expect(envelope.status).to.equal('error')
      expect(envelope.error.type).to.equal('CommandError')
      expect(envelope.error.message).to.match(/Interactive chat cannot produce JSON/)
    } finally {
      s.kill()
    }
  })
})
