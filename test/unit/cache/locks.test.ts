import {expect} from 'chai'
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {acquireLock, listLockFiles, probeLocks, removeStaleLocks} from '../../../src/sdk/cache/locks.js'
import {MlxkError} from '../../../src/sdk/errors.js'
import {buildCache, tempCacheRoot} from '../../helpers/fixture-cache.js'

// What Python's filelock does: flock(LOCK_EX) on the lock file, held while the process lives.
const PYTHON_HOLDER =
  "import fcntl,sys,time; f=open(sys.argv[1],'w'); fcntl.flock(f, fcntl.LOCK_EX); print('ok',flush=True); time.sleep(30)"
const PYTHON_TRY =
  "import fcntl,sys\nf=open(sys.argv[1],'a')\ntry:\n fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB)\n print('free')\nexcept BlockingIOError:\n print('held')"

async function holdWithPython(path: string): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', PYTHON_HOLDER, path], {stdio: ['ignore', 'pipe', 'inherit']})
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`python holder exited ${code}`)))
  })
  return child
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

function pythonSees(path: string): string {
  return spawnSync('python3', ['-c', PYTHON_TRY, path], {encoding: 'utf8'}).stdout.trim()
}

describe('cache/locks', function () {
  this.timeout(20_000)
  const holders: ChildProcess[] = []
  afterEach(async () => {
    for (const child of holders.splice(0)) if (child.exitCode === null && child.signalCode === null) await kill(child)
    delete process.env.MLXK_PERL
  })

  it('lists exactly .locks/<dirName>/*.lock, not models whose names merely contain it', async () => {
    const root = await buildCache([
      {locks: ['e2', 'e1'], repoId: 'org/name', revisions: []},
      {locks: ['e3'], repoId: 'org/name-v2', revisions: []},
    ])
    await writeFile(join(root, '.locks', 'models--org--name', 'notes.txt'), '')
    const dir = join(root, '.locks', 'models--org--name')
    expect(await listLockFiles(root, 'models--org--name')).to.deep.equal([join(dir, 'e1.lock'), join(dir, 'e2.lock')])
    expect(await listLockFiles(root, 'models--org--missing')).to.deep.equal([])
    expect(await listLockFiles(root, '../x')).to.deep.equal([])
  })

  it('sees a lock Python holds, and sees it free once Python dies', async () => {
    const root = await buildCache([{locks: ['held', 'stale'], repoId: 'org/m', revisions: []}])
    const [held, stale] = await listLockFiles(root, 'models--org--m')
    const holder = await holdWithPython(held!)
    holders.push(holder)
    expect(await probeLocks([held!, stale!, join(root, 'missing.lock')])).to.deep.equal([
      {held: true, path: held},
      {held: false, path: stale},
      {held: false, path: join(root, 'missing.lock')},
    ])
    await kill(holder)
    expect(await probeLocks([held!])).to.deep.equal([{held: false, path: held}])
  })

  it('removes stale locks and keeps held ones', async () => {
    const root = await buildCache([{locks: ['a', 'b', 'c'], repoId: 'org/m', revisions: []}])
    const [a, b, c] = await listLockFiles(root, 'models--org--m')
    holders.push(await holdWithPython(b!))
    expect(await removeStaleLocks([a!, b!, c!, join(root, 'gone.lock')])).to.deep.equal([a, c])
    expect(existsSync(a!)).to.equal(false)
    expect(existsSync(b!)).to.equal(true)
    expect(existsSync(c!)).to.equal(false)
  })

  it('handles paths with spaces, newlines and leading dashes', async () => {
    const dir = join(tempCacheRoot(), 'odd dir')
    await mkdir(dir)
    const paths = [join(dir, '-x.lock'), join(dir, 'new\nline.lock')]
    for (const path of paths) await writeFile(path, '')
    expect((await probeLocks(paths)).map((s) => s.held)).to.deep.equal([false, false])
    expect(await removeStaleLocks(paths)).to.deep.equal(paths)
  })

  it('acquireLock blocks Python, and releases on release()', async () => {
    const path = join(tempCacheRoot(), '.locks', 'models--org--m', 'etag.lock')
    const lock = await acquireLock(path, {timeoutMs: 5000})
    expect(existsSync(path)).to.equal(true)
    expect(pythonSees(path)).to.equal('held')
    expect((await probeLocks([path]))[0]?.held).to.equal(true)
    await lock.release()
    await lock.release()
    expect(pythonSees(path)).to.equal('free')
  })

  it('acquireLock waits for Python to let go', async () => {
    const path = join(tempCacheRoot(), 'wait.lock')
    const holder = await holdWithPython(path)
    holders.push(holder)
    const started = Date.now()
    setTimeout(() => void kill(holder), 400)
    const lock = await acquireLock(path, {timeoutMs: 10_000})
    expect(Date.now() - started).to.be.at.least(300)
    await lock.release()
  })

  it('acquireLock times out with lock_timeout while Python holds the lock', async () => {
    const path = join(tempCacheRoot(), 'busy.lock')
    holders.push(await holdWithPython(path))
    const error = await acquireLock(path, {timeoutMs: 200}).then(
      () => null,
      (caught: unknown) => caught,
    )
    expect(error).to.be.instanceOf(MlxkError)
    expect((error as MlxkError).type).to.equal('lock_timeout')
  })

  it('the lock dies with its owner, even on SIGKILL', async () => {
    const path = join(tempCacheRoot(), 'owner.lock')
    const script = `import {acquireLock} from ${JSON.stringify(new URL('../../../src/sdk/cache/locks.ts', import.meta.url).href)}
await acquireLock(${JSON.stringify(path)}); console.log('locked'); setInterval(() => {}, 1000)`
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    holders.push(owner)
    await new Promise<void>((resolve) => owner.stdout!.once('data', () => resolve()))
    expect(pythonSees(path)).to.equal('held')
    await kill(owner)
    let state = 'held'
    for (let i = 0; i < 50 && state === 'held'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      state = pythonSees(path)
    }

    expect(state).to.equal('free')
  })

  it('says so when perl is missing', async () => {
    process.env.MLXK_PERL = join(tempCacheRoot(), 'no-perl')
    for (const attempt of [() => probeLocks(['/x.lock']), () => acquireLock(join(tempCacheRoot(), 'x.lock'))]) {
      const error = await attempt().then(
        () => null,
        (caught: unknown) => caught,
      )
      expect(error).to.be.instanceOf(MlxkError)
      expect((error as MlxkError).type).to.equal('lock_helper_missing')
      expect((error as MlxkError).hint).to.match(/perl/)
    }
  })
})
