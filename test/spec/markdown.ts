import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'

/*
 * The docs are tested, so their code has to be found reliably: fenced blocks with the marker comments written
 * right above them, and inline code spans. Conventions (docs/testing.md, "Docs examples are tests"):
 *   <!-- schema: NAME -->   the next ```json block validates against schemas/NAME.schema.json
 *   <!-- illustrative -->   the next block is not executed (placeholders, network, a server that never exits)
 *   `mlxk … # … (illustrative)` / `(exit N)` in a shell line's comment: the same for one line / its exit code
 */

export interface FencedBlock {
  body: string
  /** 1-based line of the first body line. */
  bodyLine: number
  /** Repository-relative path of the markdown file. */
  file: string
  /** First word of the info string, lowercased (`json`, `sh`, `` for a bare fence). */
  lang: string
  /** 1-based line of the opening fence. */
  line: number
  /** Contents of the `<!-- … -->` comments directly above the fence (no blank line in between), trimmed. */
  markers: string[]
}

export interface InlineCode {
  file: string
  line: number
  text: string
}

export interface MarkdownDoc {
  blocks: FencedBlock[]
  file: string
  inline: InlineCode[]
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)/
const MARKER = /^\s*<!--\s*(.*?)\s*-->\s*$/

export function parseMarkdown(text: string, file: string): MarkdownDoc {
  const lines = text.split('\n')
  const blocks: FencedBlock[] = []
  const inline: InlineCode[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) {
      for (const match of lines[i].matchAll(/`([^`\n]+)`/g)) inline.push({file, line: i + 1, text: match[1]})
      continue
    }

    const [, indent, fence, info] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
      if (close.test(lines[j])) break
      // A fence inside a list item is indented; its body carries the same indentation.
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }

    blocks.push({
      body: body.join('\n'),
      bodyLine: i + 2,
      file,
      lang: info.toLowerCase(),
      line: i + 1,
      markers: markersAbove(lines, i),
    })
    i = j
  }

  return {blocks, file, inline}
}

function markersAbove(lines: string[], fenceIndex: number): string[] {
  const markers: string[] = []
  for (let k = fenceIndex - 1; k >= 0; k--) {
    const m = MARKER.exec(lines[k])
    if (!m) break
    markers.unshift(m[1])
  }

  return markers
}

/** The value of a `key: value` marker, e.g. `schema` → `list`. */
export function markerValue(block: FencedBlock, key: string): string | undefined {
  for (const marker of block.markers) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`).exec(marker)
    if (m) return m[1].trim()
  }

  return undefined
}

export function isIllustrative(block: FencedBlock): boolean {
  return block.markers.some((m) => /^illustrative\b/.test(m))
}

/** README.md and every docs/**\/*.md: the documents users read and the tests hold to the CLI. */
export function userDocs(root: string): MarkdownDoc[] {
  const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]
  return files.map((path) => parseMarkdown(readFileSync(path, 'utf8'), relative(root, path)))
}

function markdownFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...markdownFiles(path))
    else if (entry.name.endsWith('.md')) out.push(path)
  }

  return out
}

/** Fence languages whose lines are shell commands a user would type. */
export const SHELL_LANGS = new Set(['bash', 'console', 'sh', 'shell', 'zsh'])
