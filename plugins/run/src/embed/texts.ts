import {createInterface} from 'node:readline'

import {type MlxkError, usageError} from 'mlxk/sdk'

/**
 * The texts of JSON Lines on stdin (`{"text": "…"}` per line, blank lines skipped), `size` at a time, so a long
 * file streams through the model instead of being held whole.
 */
export async function* jsonlTextBatches(input: NodeJS.ReadableStream, size: number): AsyncGenerator<string[]> {
  let batch: string[] = []
  let number = 0
  for await (const line of createInterface({crlfDelay: Number.POSITIVE_INFINITY, input})) {
    number += 1
    if (line.trim() === '') continue
    batch.push(textOf(line, number))
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }

  if (batch.length > 0) yield batch
}

function textOf(line: string, number: number): string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw badLine(number, 'is not JSON')
  }

  const text = isObject(value) ? value.text : undefined
  if (typeof text !== 'string') throw badLine(number, 'has no "text" string')
  if (text === '') throw badLine(number, 'has an empty "text"')
  return text
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function badLine(number: number, problem: string): MlxkError {
  return usageError(`stdin line ${number} ${problem}: each line must be {"text": "…"}`, {
    hint: `echo '{"text": "hello"}' | mlxk embed <model> -`,
  })
}
