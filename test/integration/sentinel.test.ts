import {cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {expect} from 'chai'

import {MlxkError} from '../../src/sdk/errors.js'
import {importFolder} from '../../src/sdk/cache/import-folder.js'
import {assertDeletionAllowed, isTestCache, markTestCache, TEST_SENTINEL} from '../../src/sdk/cache/sentinel.js'
import {runMlxk} from '../helpers/run-cli.js'
import {testModelPath} from '../helpers/runtime.js'

/*
 * The promise upstream made to its users, kept here: the test suite cannot delete a model from a real cache, even
 * when a test (or the code under test) is pointed at the wrong directory. MLXK_STRICT_TEST_DELETE=1 (set by
 * test/helpers/init.ts) makes every delete require the TEST_SENTINEL file, which only test caches carry.
 */

/** Every entry under `dir` with its type, size, link target and mtime: equal listings mean nothing changed. */
function fingerprint(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name)
      const st = lstatSync(path)
      const kind = st.isSymbolicLink() ? `-> ${readlinkSync(path)}` : st.isDirectory() ? 'dir' : `${st.size}B`
      out.push(`${relative(dir, path)} ${kind} ${st.mtimeMs}`)
      if (st.isDirectory()) walk(path)
    }
  }

  walk(dir)
  return out
}

/** A cache laid out like a user's: real model files from a download, and no sentinel. */
async function userLikeCache(): Promise<string> {
  const root = join(mkdtempSync(join(tmpdir(), 'mlxk-user-like-')), 'hub')
  await importFolder({folder: testModelPath('tiny-qwen2-bpe-4bit'), repoId: 'mlx-community/Qwen3-0.6B-4bit', root})
  await importFolder({
    folder: testModelPath('tiny-llama-spm'),
    repoId: 'mlx-community/Llama-3.2-1B-Instruct-4bit',
    root,
  })
  return root
}

describe('safety sentinel: tests can never delete from a real cache', () => {
  let pristine: string

  before(async () => {
    pristine = await userLikeCache()
  })

  /** A fresh copy per test, so one test's deletion cannot hide another's. */
  function copyOf(source: string): string {
    const root = join(mkdtempSync(join(tmpdir(), 'mlxk-copy-')), 'hub')
    cpSync(source, root, {recursive: true, verbatimSymlinks: true})
    return root
  }

  it('the harness runs every test in strict mode, with HF_HOME in the sandbox and no token', () => {
    expect(process.env.MLXK_STRICT_TEST_DELETE).to.equal('1')
    expect(process.env.MLXK_TEST_SANDBOX).to.be.a('string')
    expect(process.env.HF_HOME?.startsWith(process.env.MLXK_TEST_SANDBOX ?? '\0')).to.equal(true)
    expect(process.env.HF_HUB_CACHE).to.equal(undefined)
    expect(process.env.HF_TOKEN).to.equal(undefined)
  })

  it('assertDeletionAllowed: strict mode refuses a cache without the sentinel and allows one with it', async () => {
    const root = copyOf(pristine)
    expect(await isTestCache(root)).to.equal(false)
    let refused: unknown
    await assertDeletionAllowed(root, {MLXK_STRICT_TEST_DELETE: '1'}).catch((error: unknown) => (refused = error))
    expect(refused).to.be.instanceOf(MlxkError)
    expect((refused as MlxkError).type).to.equal('deletion_failed')
    await assertDeletionAllowed(root, {})
    await markTestCache(root)
    expect(await isTestCache(root)).to.equal(true)
    await assertDeletionAllowed(root, {MLXK_STRICT_TEST_DELETE: '1'})
  })

  it('the bug: HF_HUB_CACHE pointing at a user cache — rm --force is refused and every file stays', async () => {
    const user = copyOf(pristine)
    const before = fingerprint(user)
    const r = await runMlxk(['rm', 'mlx-community/Qwen3-0.6B-4bit', '--force', '--json'], {hubCache: user})
    expect(r.exitCode, r.stderr).to.equal(1)
    expect(r.json?.error?.type).to.equal('deletion_failed')
    expect(r.json?.error?.message).to.contain(user)
    expect(fingerprint(user)).to.deep.equal(before)
  })

  it('the bug: HF_HOME pointing at a user home — rm of one revision is refused too', async () => {
    const user = copyOf(pristine)
    const before = fingerprint(user)
    const list = await runMlxk(['list', '--json'], {env: {HF_HOME: join(user, '..'), HF_HUB_CACHE: undefined}})
    const llama = (list.json?.data?.models as Array<{hash: string; name: string}>).find((m) => m.name.includes('Llama'))
    expect(llama, list.stdout).to.not.equal(undefined)
    const r = await runMlxk(['rm', `${llama?.name}@${llama?.hash.slice(0, 7)}`, '--force', '--json'], {
      env: {HF_HOME: join(user, '..'), HF_HUB_CACHE: undefined},
    })
    expect(r.exitCode, r.stderr).to.equal(1)
    expect(r.json?.error?.type).to.equal('deletion_failed')
    expect(fingerprint(user)).to.deep.equal(before)
  })

  it('control: the same delete succeeds once the cache carries the sentinel', async () => {
    const marked = copyOf(pristine)
    await markTestCache(marked)
    const r = await runMlxk(['rm', 'mlx-community/Qwen3-0.6B-4bit', '--force', '--json'], {hubCache: marked})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(existsSync(join(marked, 'models--mlx-community--Qwen3-0.6B-4bit'))).to.equal(false)
    expect(existsSync(join(marked, 'models--mlx-community--Llama-3.2-1B-Instruct-4bit'))).to.equal(true)
    expect(existsSync(join(marked, TEST_SENTINEL))).to.equal(true)
  })

  it('control: outside strict mode (a user running mlxk) the guard does not apply', async () => {
    const user = copyOf(pristine)
    const r = await runMlxk(['rm', 'mlx-community/Qwen3-0.6B-4bit', '--force', '--json'], {
      env: {MLXK_STRICT_TEST_DELETE: undefined},
      hubCache: user,
    })
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(existsSync(join(user, 'models--mlx-community--Qwen3-0.6B-4bit'))).to.equal(false)
    rmSync(join(user, '..'), {force: true, recursive: true})
  })
})
