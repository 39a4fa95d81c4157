import {expect} from 'chai'

import {checkInvocation, type CliSurface, type CommandSurface} from '../../spec/cli-surface.js'
import {docMentions, expectedExit, lineIsIllustrative} from '../../spec/doc-mentions.js'
import {markerValue, parseMarkdown} from '../../spec/markdown.js'
import {mlxkInvocations, shellTokens} from '../../spec/shell-words.js'

// The docs checks are only as good as their parsing: these pin the cases a wrong parse would let through.
describe('docs parsing for the docs tests', () => {
  it('splits shell words like a shell: quotes, escapes, comments, operators', () => {
    expect(shellTokens(`mlxk list --filter 'size>1GB' "a b" c\\ d # note`)).to.deep.equal([
      {kind: 'word', text: 'mlxk'},
      {kind: 'word', text: 'list'},
      {kind: 'word', text: '--filter'},
      {kind: 'word', text: 'size>1GB'},
      {kind: 'word', text: 'a b'},
      {kind: 'word', text: 'c d'},
      {kind: 'comment', text: 'note'},
    ])
    expect(shellTokens('mlxk list --filter size>1GB').map((t) => t.text)).to.deep.equal([
      'mlxk',
      'list',
      '--filter',
      'size',
      '>',
      '1GB',
    ])
  })

  it('finds mlxk at command positions only', () => {
    const argv = (line: string) => mlxkInvocations(line).map((i) => i.argv.join(' '))
    expect(argv('$ mlxk list --json')).to.deep.equal(['list --json'])
    expect(argv('MLXK_ALPHA=run mlxk run m "hi" | head -1')).to.deep.equal(['run m hi'])
    expect(argv('cat notes.txt | mlxk run m - "sum" && mlxk health')).to.deep.equal(['run m - sum', 'health'])
    expect(argv('echo mlxk list; grep mlxk file')).to.deep.equal([])
    expect(argv('python -m mlxk_runtime.worker')).to.deep.equal([])
    expect(argv('mlxk pull <org/name[@revision]> [--include GLOB…]')).to.deep.equal([
      'pull <org/name[@revision]> [--include GLOB…]',
    ])
    expect(argv('mlxk list > out.txt')).to.deep.equal(['list'])
    expect(mlxkInvocations('mlxk list').at(0)?.leading).to.equal(true)
    expect(mlxkInvocations('echo x | mlxk list').at(0)?.leading).to.equal(false)
  })

  it('reads markers above fences and line markers in comments', () => {
    const doc = parseMarkdown(
      [
        '<!-- schema: list -->',
        '```json',
        '{}',
        '```',
        '',
        '- item',
        '  ```sh',
        '  mlxk rm a/b # (illustrative)',
        '  ```',
      ].join('\n'),
      'x.md',
    )
    expect(markerValue(doc.blocks[0], 'schema')).to.equal('list')
    expect(doc.blocks[1].body).to.equal('mlxk rm a/b # (illustrative)')
    expect(docMentions(doc)).to.have.length(1)
    expect(docMentions(doc)[0]).to.include({illustrative: true, where: 'x.md:8'})
    expect(lineIsIllustrative('delete (illustrative)')).to.equal(true)
    expect(expectedExit('unhealthy (exit 3)')).to.equal(3)
    expect(expectedExit('exit 3 if unhealthy')).to.equal(0)
  })

  it('checks commands, topics, aliases and flags against a manifest surface', () => {
    const command = (
      id: string,
      long: Record<string, boolean>,
      short: Record<string, boolean> = {},
    ): CommandSurface => ({
      id,
      long: new Map([['help', false], ...Object.entries(long)]),
      short: new Map([['h', false], ...Object.entries(short)]),
    })
    const list = command('list', {all: false, filter: true, json: false})
    const cli: CliSurface = {
      commands: new Map([
        ['list', list],
        ['ls', list],
        ['runtime doctor', command('runtime doctor', {json: false})],
        ['run', command('run', {'no-stream': false, stream: false}, {})],
        ['version', command('version', {json: false})],
      ]),
      sources: [],
      topics: new Set(['runtime']),
    }
    const problem = (line: string) => checkInvocation(cli, line.split(' '))
    expect(problem('list --all --filter size>1GB')).to.equal(null)
    expect(problem('ls [--json]')).to.equal(null)
    expect(problem('runtime doctor --json')).to.equal(null)
    expect(problem('runtime')).to.equal(null)
    expect(problem('--version --json')).to.equal(null)
    expect(problem('<command> --json')).to.equal(null)
    expect(problem('run m --no-stream')).to.equal(null)
    expect(problem('list --bogus')).to.deep.equal({message: 'mlxk list has no flag --bogus', missingCommand: false})
    expect(problem('lsit')).to.include({missingCommand: true})
    expect(problem('runtime fix')).to.include({missingCommand: true})
    expect(problem('--verbose')).to.include({missingCommand: false})
  })
})
