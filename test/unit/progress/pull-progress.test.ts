import {expect} from 'chai'

import {createPullProgress} from '../../../src/sdk/progress/pull-progress.js'

describe('progress rows on stderr', () => {
  it('shows one row per file and a total on stderr, never on stdout, and ends cleanly', async () => {
    const written = {stderr: '', stdout: ''}
    const originals = {
      stderr: process.stderr.write.bind(process.stderr),
      stdout: process.stdout.write.bind(process.stdout),
    }
    const capture = (stream: 'stderr' | 'stdout') => (chunk: string | Uint8Array) => {
      written[stream] += String(chunk)
      return true
    }

    process.stderr.write = capture('stderr') as typeof process.stderr.write
    process.stdout.write = capture('stdout') as typeof process.stdout.write
    try {
      const progress = await createPullProgress({enabled: true})
      progress.onEvent({
        commit: 'c'.repeat(40),
        files: [
          {path: 'model.safetensors', reusedBytes: 0, size: 2000},
          {path: 'config.json', reusedBytes: 10, size: 10},
        ],
        model: 'acme/m',
        type: 'plan',
      })
      progress.onEvent({bytes: 2000, path: 'model.safetensors', type: 'bytes'})
      progress.onEvent({path: 'model.safetensors', status: 'downloaded', type: 'file_done'})
      await progress.stop(true)
    } finally {
      process.stderr.write = originals.stderr
      process.stdout.write = originals.stdout
    }

    expect(written.stdout).to.equal('')
    expect(written.stderr).to.include('model.safetensors')
    expect(written.stderr).to.include('Total')
    expect(written.stderr).not.to.include('config.json')
  })

  it('is silent when disabled (--json or stderr not a terminal)', async () => {
    const progress = await createPullProgress({enabled: false})
    progress.onEvent({bytes: 1, path: 'x', type: 'bytes'})
    await progress.stop(true)
  })
})
