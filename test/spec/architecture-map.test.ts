import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ROOT} from '../helpers/run-cli.js'
import {parseMarkdown} from './markdown.js'

/*
 * docs/architecture.md is where a newcomer starts, so its code map must not send anyone to a file that moved: every
 * repository path it names in inline code must exist.
 */

const FILE = 'docs/architecture.md'
/** Inline code that starts with one of these names a path in the repository. */
const TOP = /^(bench|bin|docs|plugins|python-runtime|schemas|scripts|src|test)\/|^(package\.json|tsconfig[\w.]*\.json)$/

describe('@spec docs/architecture.md names real files', () => {
  const doc = parseMarkdown(readFileSync(join(ROOT, FILE), 'utf8'), FILE)
  const paths = doc.inline.filter((span) => TOP.test(span.text))
  const mapStart = readFileSync(join(ROOT, FILE), 'utf8').split('\n').indexOf('## Code map') + 1

  it('has a code map that names files', () => {
    expect(mapStart, 'a "## Code map" section').to.be.greaterThan(0)
    expect(paths.filter((span) => span.line > mapStart).length).to.be.greaterThan(30)
  })

  it('every repository path it names exists', () => {
    const missing = paths
      .filter((span) => !existsSync(join(ROOT, span.text)))
      .map((s) => `${FILE}:${s.line}: ${s.text}`)
    expect(missing).to.deep.equal([])
  })
})
