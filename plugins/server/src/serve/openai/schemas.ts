import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import {packageRoot} from 'mlxk/sdk/runtime'

import {badRequest} from '../api-error.js'

const SCHEMA_FILES = [
  'common.schema.json',
  'chat-completions.request.schema.json',
  'completions.request.schema.json',
  'embeddings.request.schema.json',
]

export type RequestKind = 'chat' | 'completion' | 'embeddings'

/** Compiled once per server: the JSON Schemas in the package's `schemas/openai/` directory. */
export class RequestValidator {
  readonly #validators: Record<RequestKind, ValidateFunction>

  constructor(dir: string = join(packageRoot(), 'schemas', 'openai')) {
    // allErrors off: the first violation is what the client needs, and it names the field in `param`.
    const ajv = new Ajv({allErrors: false, strict: false})
    for (const file of SCHEMA_FILES) ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object, file)
    this.#validators = {
      chat: ajv.getSchema('chat-completions.request.schema.json')!,
      completion: ajv.getSchema('completions.request.schema.json')!,
      embeddings: ajv.getSchema('embeddings.request.schema.json')!,
    }
  }

  /** Throws a 400 naming the first offending field unless `body` matches the request schema. */
  check(kind: RequestKind, body: unknown): void {
    const validate = this.#validators[kind]
    if (validate(body)) return
    const error = validate.errors?.[0]
    if (!error) throw badRequest('The request body is invalid')
    const param = paramOf(error)
    throw badRequest(
      `${param ?? 'body'}: ${describe(error)}`,
      param,
      error.keyword === 'type' ? 'invalid_type' : 'invalid_value',
    )
  }
}

/** `/messages/0/content` → `messages[0].content`, the way OpenAI names a nested `param`. */
function paramOf(error: ErrorObject): null | string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty))
  let out = ''
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`
  return out === '' ? null : out
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required'
  if (error.keyword === 'enum')
    return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  return error.message ?? 'is invalid'
}
