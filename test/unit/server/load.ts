/**
 * The server plugin's sources import `mlxk/sdk`, which only the CLI's resolution hook maps to this package. The
 * hook is registered here and the modules are imported afterwards (a static import would be linked before any
 * hook exists). Types come from the plugin's build output, so the test type check does not need the mapping.
 */
let registered = false

export async function loadServer(): Promise<{
  app: typeof import('../../../plugins/server/lib/serve/app.js')
  inflight: typeof import('../../../plugins/server/lib/serve/in-flight.js')
  manager: typeof import('../../../plugins/server/lib/serve/models/manager.js')
  metrics: typeof import('../../../plugins/server/lib/serve/metrics.js')
  options: typeof import('../../../plugins/server/lib/serve/options.js')
  request: typeof import('../../../plugins/server/lib/serve/openai/request.js')
  schemas: typeof import('../../../plugins/server/lib/serve/openai/schemas.js')
}> {
  if (!registered) {
    // The launcher's own hook (bin/sdk-resolution.js): the SDK's named subpaths resolve against this package.
    const hook = new URL('../../../bin/sdk-resolution.js', import.meta.url).href
    const {registerSdkResolution} = (await import(hook)) as {registerSdkResolution: (packageJson: URL) => void}
    registerSdkResolution(new URL('../../../package.json', import.meta.url))
    registered = true
  }

  const src = (path: string) => import(new URL(`../../../plugins/server/src/serve/${path}`, import.meta.url).href)
  const [app, inflight, manager, metrics, options, request, schemas] = await Promise.all([
    src('app.ts'),
    src('in-flight.ts'),
    src('models/manager.ts'),
    src('metrics.ts'),
    src('options.ts'),
    src('openai/request.ts'),
    src('openai/schemas.ts'),
  ])
  return {app, inflight, manager, metrics, options, request, schemas}
}
