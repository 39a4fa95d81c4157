import {expect} from 'chai'
import {execa, type ResultPromise} from 'execa'
import {join} from 'node:path'

import {packageRoot} from '../../../src/sdk/runtime/index.js'
import {processExists, runtimePython, waitUntil} from '../../helpers/runtime.js'

const fixture = join(packageRoot(), 'test', 'unit', 'runtime', 'fixtures', 'hold-worker.ts')

/** Starts the fixture (a Node process holding a RuntimeClient) and waits for the pids it prints. */
async function startHolder(): Promise<{holder: ResultPromise<{reject: false}>; worker: number}> {
  const holder = execa(process.execPath, ['--import', 'tsx', fixture], {
    cwd: packageRoot(),
    env: {MLXK_PYTHON: runtimePython()},
    reject: false,
  })
  let buffered = ''
  for await (const chunk of holder.stdout) {
    buffered += String(chunk)
    if (buffered.includes('\n')) break
  }

  const {worker} = JSON.parse(buffered.split('\n')[0]!) as {worker: number}
  expect(processExists(worker)).to.equal(true)
  return {holder, worker}
}

describe('runtime: no orphaned workers', function () {
  this.timeout(60_000)

  it('the worker exits when its parent is SIGKILLed (socket EOF)', async () => {
    const {holder, worker} = await startHolder()
    holder.kill('SIGKILL')
    const result = await holder
    expect(result.signal).to.equal('SIGKILL')
    expect(await waitUntil(() => !processExists(worker), 5000)).to.equal(true)
  })

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`on ${signal} the parent closes its worker first, then still dies by the signal (${code})`, async () => {
      const {holder, worker} = await startHolder()
      holder.kill(signal)
      const result = await holder
      // Re-raised, not swallowed: the shell would report 128 + signal number.
      expect({exitCode: result.exitCode, signal: result.signal}).to.deep.equal({exitCode: undefined, signal})
      // Shut down before the parent died (not later by socket EOF), so it is already gone now.
      expect(processExists(worker)).to.equal(false)
    })
  }
})
