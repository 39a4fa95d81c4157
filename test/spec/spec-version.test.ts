import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {JSON_API_SPEC_VERSION} from '../../src/sdk/spec.js'
import {ROOT, runMlxk} from '../helpers/run-cli.js'

describe('@spec JSON API specification version', () => {
  it('src/sdk/spec.ts and docs/json-api.md state the same version', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'json-api.md'), 'utf8')
    const stated = /^\*\*Specification Version:\*\*\s*(\S+)\s*$/m.exec(doc)?.[1]
    expect(stated, 'docs/json-api.md needs a "**Specification Version:** X.Y.Z" line').to.be.a('string')
    expect(stated).to.equal(JSON_API_SPEC_VERSION)
  })

  it('is semver', () => {
    expect(JSON_API_SPEC_VERSION).to.match(/^\d+\.\d+\.\d+$/)
  })

  it('`mlxk version --json` reports it', async () => {
    const r = await runMlxk(['version', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.json?.data).to.include({json_api_spec_version: JSON_API_SPEC_VERSION})
  })
})
