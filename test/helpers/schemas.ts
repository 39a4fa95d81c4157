import {Ajv, type ValidateFunction} from 'ajv'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT} from './run-cli.js'

const ajv = new Ajv({allErrors: true, strict: false})
for (const file of readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as object, file)
}

function validator(file: string): ValidateFunction {
  const v = ajv.getSchema(file)
  if (!v) throw new Error(`schema ${file} not found`)
  return v
}

/** Throws with ajv's messages unless the envelope and, on success, its data match their schemas. */
export function assertValidEnvelope(envelope: unknown, command?: string): void {
  check(validator('envelope.schema.json'), envelope, 'envelope')
  const e = envelope as {command: null | string; data: unknown; status: string}
  const name = (command ?? e.command ?? '').replaceAll(' ', '-')
  if (e.status === 'success' && name && hasSchema(`${name}.schema.json`))
    check(validator(`${name}.schema.json`), e.data, `${name} data`)
}

export function hasSchema(file: string): boolean {
  return ajv.getSchema(file) !== undefined
}

function check(validate: ValidateFunction, value: unknown, what: string): void {
  if (!validate(value))
    throw new Error(
      `${what} does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value, null, 2).slice(0, 2000)}`,
    )
}
