import {expect} from 'chai'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {
  type InfoEvent,
  readRuntimeInfoCache,
  runtimeInfoCachePath,
  writeRuntimeInfoCache,
} from '../../../src/sdk/runtime/index.js'

const info: InfoEvent = {
  device: 'cpu',
  event: 'info',
  id: '1',
  mlx_lm_version: '0.32.2',
  mlx_version: '0.32.4',
  protocol: 1,
  python: '3.11.9',
  runtime_version: '0.1.0',
  supported_model_types: ['llama', 'qwen2'],
}

describe('runtime: info cache', () => {
  const env = {MLXK_CACHE_DIR: join(process.env.MLXK_TEST_SANDBOX!, 'info-cache')}

  it('lives in the state cache dir', () => {
    expect(runtimeInfoCachePath(env)).to.equal(join(env.MLXK_CACHE_DIR, 'runtime-info.json'))
  })

  it('writes the facts atomically, leaving no temp file, and reads them back for the same interpreter', async () => {
    const path = await writeRuntimeInfoCache(info, '/venv/bin/python', env)
    expect(path).to.equal(runtimeInfoCachePath(env))
    expect(await readdir(dirname(path))).to.deep.equal(['runtime-info.json'])
    const stored = JSON.parse(await readFile(path, 'utf8'))
    expect(stored).to.include({
      device: 'cpu',
      mlx_lm_version: '0.32.2',
      mlx_version: '0.32.4',
      python: '/venv/bin/python',
    })
    expect(stored.remapping).to.deep.equal({})
    expect(stored.supported_model_types).to.deep.equal(['llama', 'qwen2'])
    expect(stored.written_at).to.be.a('string')
    expect(await readRuntimeInfoCache({env, python: '/venv/bin/python'})).to.deep.equal(stored)
  })

  it('ignores facts written for another interpreter, and a corrupt file', async () => {
    await writeRuntimeInfoCache(info, '/venv/bin/python', env)
    expect(await readRuntimeInfoCache({env, python: '/other/venv/bin/python'})).to.equal(undefined)
    await writeFile(runtimeInfoCachePath(env), '{"python": ')
    expect(await readRuntimeInfoCache({env})).to.equal(undefined)
  })
})
