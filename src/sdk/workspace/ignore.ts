import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {SENTINEL_NAME} from './sentinel-name.js'

/**
 * What `push` never uploads: tooling and editor state, Python caches, the workspace sentinel and its scratch files,
 * and the metadata `hf download --local-dir` keeps. mlx-knife's defaults are included (`.git`, `.DS_Store`,
 * `.hfignore`, `.gitignore`, `__pycache__`, `.venv`, `venv`, `*.pyc`). A `.hfignore` line can re-include one with
 * `!` because the user's lines are evaluated after these.
 */
export const DEFAULT_IGNORES: readonly string[] = [
  '.git/',
  '.DS_Store',
  '.hfignore',
  '.gitignore',
  '__pycache__/',
  '*.pyc',
  '.venv/',
  'venv/',
  '.idea/',
  '.vscode/',
  '*.swp',
  '.ipynb_checkpoints/',
  '*.ipynb_checkpoints',
  '.cache/huggingface/',
  SENTINEL_NAME,
  `${SENTINEL_NAME}.*`,
]

interface Rule {
  /** Only directories match (the pattern ended in `/`). */
  dirOnly: boolean
  negate: boolean
  regex: RegExp
  source: string
}

/** A gitignore-syntax matcher over POSIX paths relative to the workspace root. */
export interface IgnoreMatcher {
  /** Whether the file `path` (or one of its parent directories) is ignored. */
  ignores(path: string): boolean
  /** Whether the directory `path` (or one of its parents) is ignored, so nothing below it counts. */
  ignoresDir(path: string): boolean
  /** The effective pattern lines, defaults first. */
  patterns: string[]
}

/**
 * Compiles gitignore lines: `#` comments, blank lines, `!` negation, `\` escapes, a trailing `/` for directories,
 * a leading or inner `/` anchoring to the root (otherwise the pattern matches at any depth), `*`, `?`, `[…]` and
 * `**`. As in git, the last matching line wins, and a file inside an ignored directory stays ignored.
 */
export function compileIgnore(lines: readonly string[]): IgnoreMatcher {
  const rules = lines.map(parseLine).filter((r): r is Rule => r !== null)
  const decide = (path: string, isDir: boolean): boolean => {
    let ignored = false
    for (const rule of rules) {
      if (rule.dirOnly && !isDir) continue
      if (rule.regex.test(path)) ignored = !rule.negate
    }

    return ignored
  }

  return {
    ignores(path) {
      const parts = path.split('/').filter(Boolean)
      for (let i = 1; i < parts.length; i++) if (decide(parts.slice(0, i).join('/'), true)) return true
      return decide(parts.join('/'), false)
    },
    ignoresDir(path) {
      const parts = path.split('/').filter(Boolean)
      for (let i = 1; i <= parts.length; i++) if (decide(parts.slice(0, i).join('/'), true)) return true
      return false
    },
    patterns: rules.map((r) => r.source),
  }
}

/** Defaults ∪ `<dir>/.hfignore` (a missing file adds nothing). */
export async function loadIgnore(dir: string): Promise<IgnoreMatcher> {
  const text = await readFile(join(dir, '.hfignore'), 'utf8').catch(() => '')
  return compileIgnore([...DEFAULT_IGNORES, ...text.split(/\r?\n/)])
}

function parseLine(raw: string): null | Rule {
  // Trailing spaces are dropped unless escaped with a backslash (git's rule).
  let line = raw.replace(/(?<!\\)\s+$/, '')
  if (line === '' || line.startsWith('#')) return null
  let negate = false
  if (line.startsWith('!')) {
    negate = true
    line = line.slice(1)
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1)

  let dirOnly = false
  if (line.endsWith('/')) {
    dirOnly = true
    line = line.replace(/\/+$/, '')
  }

  if (line === '') return null
  // A slash anywhere but at the end anchors the pattern to the root; otherwise it matches at any depth.
  const anchored = line.includes('/')
  if (line.startsWith('/')) line = line.slice(1)
  const body = globToRegex(line)
  const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`)
  return {dirOnly, negate, regex, source: raw.trim()}
}

/** One gitignore glob as a regex body: `*` and `?` stay within a segment, `**` crosses segments. */
function globToRegex(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const before = i === 0 || glob[i - 1] === '/'
        const after = glob[i + 2] === undefined || glob[i + 2] === '/'
        if (before && after) {
          if (glob[i + 2] === '/') {
            out += '(?:.*/)?'
            i += 2
          } else {
            out += '.*'
            i += 1
          }

          continue
        }
      }

      out += '[^/]*'
    } else if (c === '?') out += '[^/]'
    else if (c === '\\' && i + 1 < glob.length) out += escapeRegex(glob[++i] as string)
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end === -1) out += '\\['
      else {
        const inner = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replaceAll('\\', '\\\\')
        out += `[${inner}]`
        i = end
      }
    } else out += escapeRegex(c)
  }

  return out
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c
}
