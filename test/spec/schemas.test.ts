import {expect} from 'chai'

import {ROOT} from '../helpers/run-cli.js'
import {SchemaRegistry} from './schema-registry.js'

// The schemas are the contract scripts rely on; a schema that is itself invalid validates nothing.
describe('@spec schemas/ are valid JSON Schema', () => {
  const registry = new SchemaRegistry(ROOT)

  it('finds the envelope and the command schemas', () => {
    expect(registry.files.map((f) => f.name)).to.include.members([
      'envelope',
      'list',
      'show',
      'health',
      'rm',
      'version',
    ])
  })

  for (const file of registry.files) {
    it(`${file.path} is a draft-07 schema with an $id whose $refs all resolve`, () => {
      expect(file.schema.$schema, '$schema').to.be.a('string')
      expect(file.schema.$id, '$id').to.be.a('string')
      expect(registry.ajv.validateSchema(file.schema), registry.ajv.errorsText(registry.ajv.errors)).to.equal(true)
      // Compiling resolves every $ref; a dangling one throws here.
      expect(() => registry.validator(file.name)).not.to.throw()
    })
  }

  it('$ids are unique', () => {
    const ids = registry.files.map((f) => f.schema.$id)
    expect(new Set(ids).size).to.equal(ids.length)
  })
})
