import {expect} from 'chai'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {listWorkspace} from '../../../src/sdk/workspace/files.js'
import {compileIgnore, DEFAULT_IGNORES, loadIgnore} from '../../../src/sdk/workspace/ignore.js'

describe('workspace ignore rules (gitignore syntax)', () => {
  const m = (lines: string[]) => compileIgnore(lines)

  it('an unanchored name matches at any depth; a slash anchors to the root', () => {
    const matcher = m(['notes.txt', '/top.md', 'docs/draft.md'])
    expect(matcher.ignores('notes.txt')).to.equal(true)
    expect(matcher.ignores('a/b/notes.txt')).to.equal(true)
    expect(matcher.ignores('top.md')).to.equal(true)
    expect(matcher.ignores('sub/top.md')).to.equal(false)
    expect(matcher.ignores('docs/draft.md')).to.equal(true)
    expect(matcher.ignores('x/docs/draft.md')).to.equal(false)
  })

  it('* and ? stay within a segment; ** crosses segments', () => {
    const matcher = m(['*.log', 'cache/**', '**/tmp/*.bin', 'a/**/z', 'file?.txt'])
    expect(matcher.ignores('x.log')).to.equal(true)
    expect(matcher.ignores('deep/er/x.log')).to.equal(true)
    expect(matcher.ignores('cache/a/b')).to.equal(true)
    expect(matcher.ignores('cache')).to.equal(false)
    expect(matcher.ignores('q/tmp/w.bin')).to.equal(true)
    expect(matcher.ignores('tmp/w.bin')).to.equal(true)
    expect(matcher.ignores('a/z')).to.equal(true)
    expect(matcher.ignores('a/b/c/z')).to.equal(true)
    expect(matcher.ignores('file1.txt')).to.equal(true)
    expect(matcher.ignores('file12.txt')).to.equal(false)
  })

  it('a trailing slash matches directories only, and everything below them', () => {
    const matcher = m(['build/'])
    expect(matcher.ignores('build')).to.equal(false)
    expect(matcher.ignores('build/out.bin')).to.equal(true)
    expect(matcher.ignores('src/build/x')).to.equal(true)
    expect(matcher.ignoresDir('build')).to.equal(true)
  })

  it('negation re-includes, the last match wins, comments/blank lines/escapes are honoured', () => {
    const matcher = m(['# comment', '', '*.md', '!README.md', '\\#literal', 'trailing   ', '[abc].txt'])
    expect(matcher.ignores('CHANGES.md')).to.equal(true)
    expect(matcher.ignores('README.md')).to.equal(false)
    expect(matcher.ignores('#literal')).to.equal(true)
    expect(matcher.ignores('trailing')).to.equal(true)
    expect(matcher.ignores('b.txt')).to.equal(true)
    expect(matcher.ignores('d.txt')).to.equal(false)
    expect(matcher.patterns).to.not.include('# comment')
  })

  it('a file inside an ignored directory cannot be re-included (git semantics)', () => {
    const matcher = m(['logs/', '!logs/keep.txt'])
    expect(matcher.ignores('logs/keep.txt')).to.equal(true)
  })

  it('defaults leave model files alone and drop tooling, caches and the sentinel', () => {
    const matcher = m([...DEFAULT_IGNORES])
    for (const kept of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      '.gitattributes',
      'sub/model-00001-of-00002.safetensors',
    ]) {
      expect(matcher.ignores(kept), kept).to.equal(false)
    }

    for (const dropped of [
      '.git/HEAD',
      '.DS_Store',
      'x/.DS_Store',
      '__pycache__/a.pyc',
      'tool.pyc',
      '.venv/bin/python',
      '.vscode/settings.json',
      '.idea/x',
      '.hfignore',
      '.mlxk_workspace.json',
      '.mlxk_workspace.json.123.tmp',
      '.cache/huggingface/download/x.metadata',
      'nb/.ipynb_checkpoints/a',
    ]) {
      expect(matcher.ignores(dropped), dropped).to.equal(true)
    }
  })

  it('.hfignore merges with the defaults and may re-include one of them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlxk-ignore-'))
    await writeFile(join(dir, '.hfignore'), '# mine\ndrafts/\n*.ckpt\n!.gitignore\n')
    await mkdir(join(dir, 'drafts'))
    await mkdir(join(dir, '.git'))
    await writeFile(join(dir, 'drafts', 'a.txt'), 'x')
    await writeFile(join(dir, '.git', 'HEAD'), 'ref')
    await writeFile(join(dir, 'old.ckpt'), 'x')
    await writeFile(join(dir, '.gitignore'), 'x')
    await writeFile(join(dir, 'config.json'), '{}')
    const listing = await listWorkspace(dir, await loadIgnore(dir))
    expect(listing.included.map((f) => f.path)).to.deep.equal(['.gitignore', 'config.json'])
    expect(listing.allCount).to.equal(6)
    expect(listing.ignored).to.include.members(['drafts/', '.git/', 'old.ckpt', '.hfignore'])
  })
})
