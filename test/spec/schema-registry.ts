import {Ajv, type ValidateFunction} from 'ajv'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'

/*
 * Every JSON Schema under schemas/ (subfolders included), registered under its `$id` so `$ref`s between them
 * resolve, and addressable by its path without extension: `list`, `openai/chat-completion`.
 */

export interface SchemaFile {
  /** `list` for schemas/list.schema.json, `openai/x` for schemas/openai/x.json. */
  name: string
  path: string
  schema: Record<string, unknown>
}

export function schemaFiles(root: string): SchemaFile[] {
  const dir = join(root, 'schemas')
  return walk(dir).map((path) => ({
    name: relative(dir, path).replace(/(\.schema)?\.json$/, ''),
    path: relative(root, path),
    schema: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>,
  }))
}

function walk(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(path))
    else if (entry.name.endsWith('.json')) out.push(path)
  }

  return out
}

export class SchemaRegistry {
  readonly ajv = new Ajv({allErrors: true, strict: false})
  readonly files: SchemaFile[]
  readonly #byName = new Map<string, SchemaFile>()

  constructor(root: string) {
    this.files = schemaFiles(root)
    for (const file of this.files) {
      this.#byName.set(file.name, file)
      this.ajv.addSchema(file.schema, typeof file.schema.$id === 'string' ? file.schema.$id : file.path)
    }
  }

  has(name: string): boolean {
    return this.#byName.has(name)
  }

  validator(name: string): ValidateFunction {
    const file = this.#byName.get(name)
    if (!file) throw new Error(`no schema named ${name} under schemas/ (known: ${[...this.#byName.keys()].join(', ')})`)
    const key = typeof file.schema.$id === 'string' ? file.schema.$id : file.path
    const validate = this.ajv.getSchema(key)
    if (!validate) throw new Error(`schema ${file.path} did not compile`)
    return validate
  }

  /** Null when `value` is valid; else ajv's messages. */
  errors(name: string, value: unknown): null | string {
    const validate = this.validator(name)
    return validate(value) ? null : this.ajv.errorsText(validate.errors)
  }

  /**
   * An envelope, and on success its data against the command's schema (`alpha enable` → `alpha-enable`) when
   * one exists.
   */
  envelopeErrors(value: unknown): null | string {
    const envelope = this.errors('envelope', value)
    if (envelope) return `envelope: ${envelope}`
    const e = value as {command: null | string; data: unknown; status: string}
    const name = e.command?.replaceAll(' ', '-')
    if (e.status !== 'success' || !name || !this.has(name)) return null
    const data = this.errors(name, e.data)
    return data ? `${name} data: ${data}` : null
  }
}
