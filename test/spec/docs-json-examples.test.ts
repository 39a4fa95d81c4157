import {expect} from 'chai'

import {ROOT} from '../helpers/run-cli.js'
import {isIllustrative, markerValue, userDocs} from './markdown.js'
import {SchemaRegistry} from './schema-registry.js'

/*
 * Every ```json block in README.md and docs/ says what it is: `<!-- schema: NAME -->` (validated against
 * schemas/NAME.schema.json; `envelope` also validates `data` against the command's schema) or
 * `<!-- illustrative -->` (a fragment or pseudo-JSON, not validated). An unmarked block fails, so an example
 * can never silently drift from the schema.
 */
describe('@spec JSON examples in the docs validate against their schemas', () => {
  const registry = new SchemaRegistry(ROOT)
  const blocks = userDocs(ROOT).flatMap((doc) => doc.blocks.filter((b) => b.lang === 'json' || b.lang === 'jsonc'))

  it('the docs have schema-marked JSON examples (the check is not vacuous)', () => {
    expect(blocks.filter((b) => markerValue(b, 'schema') !== undefined).length).to.be.greaterThan(0)
  })

  for (const block of blocks) {
    const schema = markerValue(block, 'schema')
    const where = `${block.file}:${block.line}`
    if (schema === undefined) {
      it(`${where} is marked`, () => {
        expect(
          isIllustrative(block),
          `${where}: put <!-- schema: NAME --> or <!-- illustrative --> above the block`,
        ).to.equal(true)
      })
      continue
    }

    it(`${where} matches schema ${schema}`, () => {
      let value: unknown
      try {
        value = JSON.parse(block.body)
      } catch (error) {
        throw new Error(`${where}: not valid JSON (${(error as Error).message})`)
      }

      const errors = schema === 'envelope' ? registry.envelopeErrors(value) : registry.errors(schema, value)
      expect(errors, `${where}: ${errors}`).to.equal(null)
    })
  }
})
