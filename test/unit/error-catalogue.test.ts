import {expect} from 'chai'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

const ROOT = new URL('../..', import.meta.url).pathname

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'lib' ? [] : sources(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

describe('error catalogue', () => {
  it('documents every error type the CLI and its plugins can throw in docs/errors.md', () => {
    const files = [
      ...sources(join(ROOT, 'src')),
      ...readdirSync(join(ROOT, 'plugins')).flatMap((p) => sources(join(ROOT, 'plugins', p, 'src'))),
    ]
    const types = new Set<string>()
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/MlxkError\(\s*'([A-Za-z_]+)'/g)) types.add(match[1]!)
    }

    // The worker's own error types, from the union in protocol.ts.
    const protocol = readFileSync(join(ROOT, 'src/sdk/runtime/protocol.ts'), 'utf8')
    const union = /export type WorkerError =([\s\S]*?)\n\n/.exec(protocol)?.[1] ?? ''
    for (const match of union.matchAll(/'([a-z_]+)'/g)) types.add(match[1]!)
    const docs = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    expect(types.size).to.be.greaterThan(30)
    const missing = [...types].filter((t) => !docs.includes(`\`${t}\``)).sort()
    expect(missing, `add these to docs/errors.md: ${missing.join(', ')}`).to.deep.equal([])
  })
})
