import {registerHooks} from 'node:module'

/**
 * A plugin that a user installs with `mlxk plugins install` lives in the data dir, where `import 'mlxk/sdk'`
 * would not resolve, and a plugin with its own copy of the SDK would break `instanceof` checks across the
 * boundary. So every `mlxk` / `mlxk/...` import resolves against the running CLI's own package, whoever asks.
 */
export function registerSdkResolution(rootPackageJsonUrl) {
  const parentURL = rootPackageJsonUrl.href
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'mlxk' || specifier.startsWith('mlxk/')) {
        return nextResolve(specifier, {...context, parentURL})
      }
      return nextResolve(specifier, context)
    },
  })
}
