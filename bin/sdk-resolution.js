import {readFileSync} from 'node:fs'
import {registerHooks} from 'node:module'

/**
 * A plugin that a user installs with `mlxk plugins install` lives in the data dir, where `import 'mlxk/sdk'`
 * would not resolve, and a plugin with its own copy of the SDK would break `instanceof` checks across the
 * boundary. So the SDK's entry points, and only those (the `./sdk…` keys of the CLI's package.json "exports"),
 * resolve against the running CLI's own package, whoever asks. Any other `mlxk/…` specifier is left to Node.
 */
export function registerSdkResolution(
  rootPackageJsonUrl,
  pjson = JSON.parse(readFileSync(rootPackageJsonUrl, 'utf8')),
) {
  const parentURL = rootPackageJsonUrl.href
  const isSdkEntry = sdkEntryMatcher(pjson.exports)
  registerHooks({
    resolve(specifier, context, nextResolve) {
      return nextResolve(specifier, isSdkEntry(specifier) ? {...context, parentURL} : context)
    },
  })
}

/** `mlxk/sdk`, `mlxk/sdk/cache`, …: the package's `./sdk…` export keys as import specifiers. */
export function sdkEntryMatcher(exports) {
  const keys = Object.keys(exports).filter((key) => key === './sdk' || key.startsWith('./sdk/'))
  const named = new Set(keys.map((key) => `mlxk${key.slice(1)}`))
  return (specifier) => named.has(specifier)
}
