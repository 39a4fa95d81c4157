/**
 * Code-point order, independent of locale, so listings sort the same on every machine. Plain `<` compares UTF-16
 * code units, which puts astral characters before some BMP ones.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a]
  const right = [...b]
  const length = Math.min(left.length, right.length)
  for (let i = 0; i < length; i++) {
    const diff = (left[i] as string).codePointAt(0)! - (right[i] as string).codePointAt(0)!
    if (diff !== 0) return diff
  }

  return left.length - right.length
}

/** Maps with at most `limit` calls in flight: scanning thousands of models must not open thousands of files at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = Array.from({length: items.length})
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }

  await Promise.all(Array.from({length: Math.min(limit, items.length)}, () => worker()))
  return results
}
