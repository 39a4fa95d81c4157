// Which files of a package ship: npm's own answer (`npm pack --dry-run`), so the tarballs and the npm package
// agree on what `files` means. It reads only the working tree; no registry is involved.
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

// The compiled output of a module whose source was deleted stays in lib/ (the build does not wipe it), and
// Python byte code is machine-local; neither belongs in a release.
const NEVER = [/(^|\/)__pycache__\//, /\.pyc$/, /(^|\/)\.DS_Store$/]

/** Relative paths of the files `npm pack` would put in the package at `dir`. */
export function packFiles(dir) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--workspaces=false'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const [report] = JSON.parse(out)
  return report.files.map((f) => f.path).filter((path) => !NEVER.some((re) => re.test(path)))
}

/**
 * lib/x.js whose src/x.ts is gone: left over from an earlier build. Returns the stale paths so the caller can
 * leave them out and say so.
 */
export function staleCompiled(dir, files) {
  return files.filter((path) => {
    const match = /^lib\/(.+?)(\.d)?\.js$|^lib\/(.+?)\.d\.ts$/.exec(path)
    if (!match) return false
    const stem = match[1] ?? match[3]
    return !existsSync(join(dir, 'src', `${stem}.ts`)) && !existsSync(join(dir, 'src', `${stem}.tsx`))
  })
}
