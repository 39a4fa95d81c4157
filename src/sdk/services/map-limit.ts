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
