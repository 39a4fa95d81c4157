import {type FencedBlock, isIllustrative, type MarkdownDoc, SHELL_LANGS} from './markdown.js'
import {type Invocation, mlxkInvocations} from './shell-words.js'

export interface Mention extends Invocation {
  /** The example only shows something (placeholders, network): it is never executed. */
  illustrative: boolean
  /** `docs/guide.md:12` */
  where: string
}

/** Fences whose lines are shell or a usage synopsis; code in other languages is not scanned. */
const SCANNED = new Set([...SHELL_LANGS, '', 'text'])

/** `# … (illustrative)` in a line's comment keeps that one line from being executed. */
export function lineIsIllustrative(comment: string): boolean {
  return /\(illustrative\)/.test(comment)
}

/** `# … (exit 3)` in a line's comment: the exit status the example must end with. Default 0. */
export function expectedExit(comment: string): number {
  const m = /\(exit (\d+)\)/.exec(comment)
  return m ? Number(m[1]) : 0
}

/** Shell lines of a block with `\`-continuations joined, each with the line number it starts on. */
export function shellLines(block: FencedBlock): Array<{line: number; text: string}> {
  const out: Array<{line: number; text: string}> = []
  let pending: {line: number; text: string} | undefined
  block.body.split('\n').forEach((raw, index) => {
    const text = pending ? `${pending.text} ${raw.trim()}` : raw
    const line = pending?.line ?? block.bodyLine + index
    if (/\\\s*$/.test(text)) pending = {line, text: text.replace(/\\\s*$/, '')}
    else {
      pending = undefined
      out.push({line, text})
    }
  })
  if (pending) out.push(pending)
  return out
}

/** Every `mlxk …` a reader of this document is told to type, in code blocks and inline code. */
export function docMentions(doc: MarkdownDoc): Mention[] {
  const mentions: Mention[] = []
  for (const block of doc.blocks.filter((b) => SCANNED.has(b.lang))) {
    for (const {line, text} of shellLines(block)) {
      for (const inv of mlxkInvocations(text)) {
        const illustrative = isIllustrative(block) || lineIsIllustrative(inv.comment)
        mentions.push({...inv, illustrative, where: `${doc.file}:${line}`})
      }
    }
  }

  for (const span of doc.inline) {
    for (const inv of mlxkInvocations(span.text))
      mentions.push({...inv, illustrative: false, where: `${doc.file}:${span.line}`})
  }

  return mentions
}
