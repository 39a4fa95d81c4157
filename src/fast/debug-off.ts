/**
 * Stands in for the `debug` package inside lib/fast/bundle.cjs. With DEBUG unset, `debug` prints nothing, and the
 * fast path only runs when it is unset (route.ts), so this silent logger behaves the same without loading `debug`,
 * tty and supports-color on every call.
 */
type Debugger = ((...args: unknown[]) => void) & {
  destroy(): boolean
  enabled: boolean
  extend(namespace: string, delimiter?: string): Debugger
  log(...args: unknown[]): void
  namespace: string
}

function createDebug(namespace: string): Debugger {
  return Object.assign(() => {}, {
    destroy: () => true,
    enabled: false,
    extend: (child: string, delimiter = ':') => createDebug(`${namespace}${delimiter}${child}`),
    log() {},
    namespace,
  })
}

export default Object.assign(createDebug, {
  disable: () => '',
  enable() {},
  enabled: () => false,
  names: [] as RegExp[],
  skips: [] as RegExp[],
})
