import {expect} from 'chai'

import {parseFrontMatter} from '../../../src/sdk/model/frontmatter.js'

describe('model/frontmatter', () => {
  it('returns null without an opening --- line', () => {
    expect(parseFrontMatter('# Title\nlibrary_name: mlx\n')).to.equal(null)
    expect(parseFrontMatter('')).to.equal(null)
  })

  it('reads scalars with quotes stripped and trailing comments removed', () => {
    const fm = parseFrontMatter(
      '---\nlibrary_name: "mlx"\npipeline_tag: text-generation # why\nlicense: apache-2.0\n---\n# Card\n',
    )
    expect(fm).to.deep.equal({baseModels: [], libraryName: 'mlx', pipelineTag: 'text-generation', tags: []})
  })

  it('reads inline tag lists', () => {
    const fm = parseFrontMatter('---\ntags: [mlx, \'text-generation\', "4-bit"] # c\n---\n')
    expect(fm?.tags).to.deep.equal(['mlx', 'text-generation', '4-bit'])
  })

  it('reads block lists, indented or not, and stops at the next top-level key', () => {
    const text = [
      '---',
      'tags:',
      '- mlx',
      '  - "chat"',
      '',
      'base_model:',
      '  - Qwen/Qwen3-0.6B',
      'library_name: mlx',
      '---',
    ].join('\n')
    const fm = parseFrontMatter(text)
    expect(fm?.tags).to.deep.equal(['mlx', 'chat'])
    expect(fm?.baseModels).to.deep.equal(['Qwen/Qwen3-0.6B'])
    expect(fm?.libraryName).to.equal('mlx')
  })

  it('accepts base_model as a single string', () => {
    expect(parseFrontMatter('---\nbase_model: meta-llama/Llama-3.2-1B\n---\n')?.baseModels).to.deep.equal([
      'meta-llama/Llama-3.2-1B',
    ])
  })

  it('ignores list items and keys nested under other keys', () => {
    const text = [
      '---',
      'model-index:',
      '- name: x',
      '  results:',
      '    - task: {type: text-generation}',
      '    library_name: transformers',
      'datasets:',
      '- mlx',
      'tags:',
      '- real',
      '---',
    ].join('\n')
    const fm = parseFrontMatter(text)
    expect(fm?.tags).to.deep.equal(['real'])
    expect(fm?.libraryName).to.equal(null)
  })

  it('handles CRLF line endings and a BOM', () => {
    const fm = parseFrontMatter('\uFEFF---\r\nlibrary_name: mlx\r\ntags:\r\n- mlx\r\n---\r\n')
    expect(fm?.libraryName).to.equal('mlx')
    expect(fm?.tags).to.deep.equal(['mlx'])
  })

  it('does not read past the closing ---', () => {
    expect(parseFrontMatter('---\ntags: [a]\n---\nlibrary_name: mlx\n')?.libraryName).to.equal(null)
  })
})
