import {spawn} from 'node:child_process'
import {mkdir, readdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {MlxkError} from '../errors.js'
import {compareCodePoints} from './order.js'

/*
 * huggingface_hub locks a download with `filelock`, i.e. flock(2) on `<cache>/.locks/models--…/<etag>.lock`.
 * Node has no flock binding and nothing native can be built here, so a short perl program (perl ships with
 * macOS and Debian, and its Fcntl module wraps flock) takes the locks for us. Paths travel NUL-separated on
 * stdin, never through a shell.
 */

const PROBE_SCRIPT = String.raw`
use strict; use warnings; use Fcntl qw(:flock);
local $/ = "\0"; $| = 1;
while (my $path = <STDIN>) {
  chomp $path;
  my $state = 'held';
  if (!-e $path) { $state = 'free' }
  elsif (open(my $fh, '<', $path)) {
    if (flock($fh, LOCK_EX | LOCK_NB)) { flock($fh, LOCK_UN); $state = 'free' }
    close($fh);
  }
  print "$state\n";
}
`

// Unlinks only while holding the flock, and only if the path still names the inode we locked, so a lock that
// Python takes a moment later is never pulled from under it.
const REMOVE_SCRIPT = String.raw`
use strict; use warnings; use Fcntl qw(:flock);
local $/ = "\0"; $| = 1;
while (my $path = <STDIN>) {
  chomp $path;
  my $state = 'kept';
  if (!-l $path && -f _ && open(my $fh, '<', $path)) {
    if (flock($fh, LOCK_EX | LOCK_NB)) {
      my @locked = stat($fh); my @now = lstat($path);
      if (@now && $locked[0] == $now[0] && $locked[1] == $now[1] && unlink($path)) { $state = 'removed' }
      flock($fh, LOCK_UN);
    }
    close($fh);
  }
  print "$state\n";
}
`

// Holds the lock until stdin reaches EOF, which also happens when the node process dies, however it dies.
// While waiting it gives up when stdin closes (the caller cancelled) or when its parent is gone.
const ACQUIRE_SCRIPT = String.raw`
use strict; use warnings; use Fcntl qw(:flock O_RDWR O_CREAT); use Time::HiRes qw(time);
my ($path, $timeout_ms) = @ARGV;
my $parent = getppid();
my $deadline = $timeout_ms < 0 ? undef : time() + $timeout_ms / 1000;
$| = 1;
while (1) {
  sysopen(my $fh, $path, O_RDWR | O_CREAT, 0644) or do { print "error $!\n"; exit 3 };
  if (flock($fh, LOCK_EX | LOCK_NB)) {
    my @locked = stat($fh); my @now = stat($path);
    if (@now && $locked[0] == $now[0] && $locked[1] == $now[1]) {
      print "locked\n";
      my $buffer;
      1 while sysread(STDIN, $buffer, 4096);
      exit 0;
    }
    close($fh);
    next;
  }
  close($fh);
  if (defined $deadline && time() >= $deadline) { print "timeout\n"; exit 2 }
  exit 4 if getppid() != $parent;
  my $wanted = ''; vec($wanted, fileno(STDIN), 1) = 1;
  exit 5 if select(my $ready = $wanted, undef, undef, 0.05);
}
`

function perlBinary(): string {
  return process.env.MLXK_PERL || 'perl'
}

function helperMissing(cause: unknown): MlxkError {
  return new MlxkError('lock_helper_missing', `Cannot take file locks: perl was not found (${perlBinary()})`, {
    cause,
    hint: 'mlxk uses perl to share download locks with Python huggingface_hub; install perl or set MLXK_PERL',
  })
}

function isMissingBinary(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'EACCES')
}

/** Runs a batch script over `paths`, one answer line per path, in order. */
async function runBatch(script: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return []
  return new Promise((resolve, reject) => {
    const child = spawn(perlBinary(), ['-e', script], {stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', (error) => reject(isMissingBinary(error) ? helperMissing(error) : error))
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter((line) => line !== '')
      if (code === 0 && lines.length === paths.length) resolve(lines)
      else reject(new MlxkError('lock_helper_failed', `The lock helper failed (exit ${code}): ${stderr.trim()}`))
    })
    child.stdin.on('error', () => {})
    child.stdin.end(paths.map((path) => `${path}\0`).join(''))
  })
}

/**
 * The lock files of one model: exactly `<root>/.locks/<dirName>/*.lock`, never a directory whose name merely
 * contains the model's (upstream matched by substring, so `…--name` also caught `…--name-v2`).
 */
export async function listLockFiles(root: string, dirName: string): Promise<string[]> {
  if (dirName === '' || dirName.includes('/') || dirName.includes('\\') || dirName.startsWith('.')) return []
  const dir = join(root, '.locks', dirName)
  const entries = await readdir(dir, {withFileTypes: true}).catch(() => [])
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lock'))
    .map((entry) => join(dir, entry.name))
    .sort(compareCodePoints)
}

export interface LockState {
  /** True when another process holds the flock. An unreadable file counts as held: we cannot prove it free. */
  held: boolean
  path: string
}

/** Which lock files are held right now. A file that exists but can be flocked is stale; one process checks all. */
export async function probeLocks(files: readonly string[]): Promise<LockState[]> {
  const states = await runBatch(PROBE_SCRIPT, files)
  return files.map((path, index) => ({held: states[index] !== 'free', path}))
}

/** Deletes the lock files nobody holds and returns their paths; held ones stay. */
export async function removeStaleLocks(files: readonly string[]): Promise<string[]> {
  const states = await runBatch(REMOVE_SCRIPT, files)
  return files.filter((_, index) => states[index] === 'removed')
}

export interface HeldLock {
  path: string
  release(): Promise<void>
}

export interface AcquireOptions {
  /** Give up after this long; absent or negative waits until the lock is free. */
  timeoutMs?: number
}

/**
 * Takes the flock on `file` (creating it and its directory), waiting while another process, Python included,
 * holds it. The lock lives in a helper process that exits when `release()` is called or when this process dies.
 */
export async function acquireLock(file: string, options: AcquireOptions = {}): Promise<HeldLock> {
  await mkdir(dirname(file), {recursive: true})
  const timeout = options.timeoutMs === undefined || options.timeoutMs < 0 ? -1 : Math.round(options.timeoutMs)
  const child = spawn(perlBinary(), ['-e', ACQUIRE_SCRIPT, '--', file, String(timeout)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const exited = new Promise<null | number>((resolve) => child.on('close', resolve))
  child.stdin.on('error', () => {})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  await new Promise<void>((resolve, reject) => {
    let stdout = ''
    child.on('error', (error) => reject(isMissingBinary(error) ? helperMissing(error) : error))
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (stdout.includes('locked\n')) resolve()
    })
    void exited.then((code) => {
      if (stdout.includes('timeout')) {
        reject(
          new MlxkError('lock_timeout', `Timed out after ${timeout} ms waiting for the lock ${file}`, {
            hint: 'Another download of this model is running; wait for it or try again later',
          }),
        )
      } else {
        reject(
          new MlxkError(
            'lock_helper_failed',
            `The lock helper exited (${code}) before locking ${file}: ${(stdout + stderr).trim()}`,
          ),
        )
      }
    })
  })
  let released: Promise<void> | undefined
  return {
    path: file,
    release() {
      released ??= (async () => {
        child.stdin.end()
        await exited
      })()
      return released
    },
  }
}
