/**
 * `--include` / `--exclude` patterns with Python's fnmatch semantics, as huggingface_hub's `allow_patterns` /
 * `ignore_patterns` use them: `*` also crosses `/`, and a pattern ending in `/` means everything below it.
 */
function toRegExp(pattern: string): RegExp {
  const glob = pattern.endsWith('/') ? `${pattern}*` : pattern
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (char === '[') {
      const close = glob.indexOf(']', i + 2)
      if (close === -1) {
        source += '\\['
        continue
      }

      let body = glob.slice(i + 1, close).replaceAll('\\', '\\\\')
      if (body.startsWith('!')) body = `^${body.slice(1)}`
      source += `[${body}]`
      i = close
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&')
  }

  return new RegExp(`^${source}$`, 's')
}

export function filterPaths<T extends {path: string}>(
  items: readonly T[],
  include?: readonly string[],
  exclude?: readonly string[],
): T[] {
  const allow = include && include.length > 0 ? include.map(toRegExp) : null
  const deny = (exclude ?? []).map(toRegExp)
  return items.filter(
    (item) => (allow === null || allow.some((re) => re.test(item.path))) && !deny.some((re) => re.test(item.path)),
  )
}
