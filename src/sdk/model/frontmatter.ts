/** The README.md front-matter keys that model detection uses. */
export interface FrontMatter {
  /** `base_model`, which the Hub allows as a string or a list. */
  baseModels: string[]
  libraryName: null | string
  pipelineTag: null | string
  tags: string[]
}

const LIST_KEYS = new Set(['base_model', 'tags'])

/**
 * Reads the few front-matter keys detection needs. A YAML library would be heavier than the job: model cards
 * only ever use `key: value`, inline `[a, b]` lists and `- item` block lists for these keys. Returns null when
 * the README does not open with a `---` block.
 */
export function parseFrontMatter(text: string): FrontMatter | null {
  const lines = linesOf(text.replace(/^\uFEFF/, ''))
  if (lines.next().value?.trim() !== '---') return null

  const values = new Map<string, string[]>()
  let listKey: null | string = null
  for (const line of lines) {
    const trimmed = line.trim()
    if (trimmed === '---' || trimmed === '...') break
    if (trimmed === '' || trimmed.startsWith('#')) continue

    const item = /^\s*-\s*(.*)$/.exec(line)
    if (item) {
      // Items under other keys (model-index, datasets...) are not ours; only collect under a key we track.
      if (listKey) {
        const value = scalar(item[1] ?? '')
        if (value) values.get(listKey)?.push(value)
      }

      continue
    }

    // Indented lines belong to a nested mapping; a new top-level key ends any block list.
    if (/^\s/.test(line)) continue
    listKey = null
    const pair = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line)
    if (!pair) continue
    const key = pair[1] ?? ''
    const raw = stripComment(pair[2] ?? '')
    if (raw === '') {
      if (LIST_KEYS.has(key)) {
        values.set(key, [])
        listKey = key
      }

      continue
    }

    values.set(key, raw.startsWith('[') ? inlineList(raw) : [scalar(raw)].filter(Boolean))
  }

  return {
    baseModels: values.get('base_model') ?? [],
    libraryName: values.get('library_name')?.[0] ?? null,
    pipelineTag: values.get('pipeline_tag')?.[0] ?? null,
    tags: values.get('tags') ?? [],
  }
}

/**
 * The lines of `text` as `split(/\r?\n/)` gives them, one at a time: the front-matter is the head of a README
 * that may run to hundreds of kilobytes, and splitting all of it only to read the head is wasted work.
 */
function* linesOf(text: string): Generator<string, void, undefined> {
  let start = 0
  while (start <= text.length) {
    const end = text.indexOf('\n', start)
    if (end === -1) {
      yield text.slice(start)
      return
    }

    yield text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end)
    start = end + 1
  }
}

function inlineList(raw: string): string[] {
  const end = raw.lastIndexOf(']')
  const body = raw.slice(1, end === -1 ? undefined : end)
  return body
    .split(',')
    .map((part) => scalar(part))
    .filter(Boolean)
}

function scalar(raw: string): string {
  const value = raw.trim()
  const quoted = /^(["'])(.*?)\1/.exec(value)
  return (quoted ? (quoted[2] ?? '') : stripComment(value)).trim()
}

/** `# comment` after a value; a `#` inside quotes or glued to a word (`c#`) is part of the value. */
function stripComment(raw: string): string {
  const trimmed = raw.trim()
  if (/^["'[]/.test(trimmed)) return trimmed
  return trimmed.replace(/\s+#.*$/, '').trim()
}
