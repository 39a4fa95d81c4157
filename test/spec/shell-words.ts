/*
 * Just enough of POSIX shell word splitting to find `mlxk …` invocations in documentation the way a shell would
 * see them: quotes and backslashes group words, operators (`|`, `&&`, `;`, `>`, `$(`, …) end a command, and `#` at
 * the start of a word begins a comment. An unquoted `size>1GB` is therefore `size`, a redirect, and `1GB`, exactly
 * the surprise a reader pasting the line would get.
 */

export type ShellToken = {kind: 'comment'; text: string} | {kind: 'op'; text: string} | {kind: 'word'; text: string}

const OPERATORS = ['&&', '||', '$(', '>>', '2>', '|', ';', '&', '(', ')', '`', '>', '<']

export function shellTokens(line: string): ShellToken[] {
  const tokens: ShellToken[] = []
  let word: null | string = null
  const flush = () => {
    if (word !== null) tokens.push({kind: 'word', text: word})
    word = null
  }

  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === "'" || c === '"') {
      const end = closingQuote(line, i)
      const inner = line.slice(i + 1, end)
      word = (word ?? '') + (c === '"' ? inner.replaceAll(/\\(["\\$`])/g, '$1') : inner)
      i = end
    } else if (c === '\\') {
      word = (word ?? '') + (line[i + 1] ?? '')
      i++
    } else if (/\s/.test(c)) flush()
    else if (c === '#' && word === null) {
      tokens.push({kind: 'comment', text: line.slice(i + 1).trim()})
      return tokens
    } else {
      const op = word === null || c !== '2' ? OPERATORS.find((o) => line.startsWith(o, i)) : undefined
      if (op === undefined) word = (word ?? '') + c
      else {
        flush()
        tokens.push({kind: 'op', text: op})
        i += op.length - 1
      }
    }
  }

  flush()
  return tokens
}

function closingQuote(line: string, start: number): number {
  const quote = line[start]
  for (let i = start + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++
    else if (line[i] === quote) return i
  }

  return line.length
}

export interface Invocation {
  /** The words after `mlxk`, up to the next operator. */
  argv: string[]
  /** The trailing comment of the line, if any. */
  comment: string
  /** True when nothing but env assignments precedes `mlxk` on the line (it can be run on its own). */
  leading: boolean
}

/** Every `mlxk` invocation at a command position in one line of shell (or one inline code span). */
export function mlxkInvocations(line: string): Invocation[] {
  // Docs write placeholders as `<model>`; a shell would read redirections, a reader reads one argument.
  const text = line.replace(/^\s*[$%>]\s+/, '').replaceAll(/<[^\s<>'"]+>/g, (p) => `'${p}'`)
  const tokens = shellTokens(text)
  const comment = tokens.find((t) => t.kind === 'comment')?.text ?? ''
  const found: Invocation[] = []
  let commandPosition = true
  let first = true
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t.kind !== 'word') {
      commandPosition = t.kind === 'op' && !['<', '>', '>>', '2>'].includes(t.text)
      first = false
      continue
    }

    if (commandPosition && /^[A-Za-z_][A-Za-z0-9_]*=/.test(t.text)) continue
    if (commandPosition && t.text === 'mlxk') {
      const argv: string[] = []
      let j = i + 1
      while (j < tokens.length && tokens[j].kind === 'word') argv.push(tokens[j++].text)
      found.push({argv, comment, leading: first})
      i = j - 1
    }

    commandPosition = false
    first = false
  }

  return found
}
