import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'
import ts from 'typescript'

import {ROOT} from '../helpers/run-cli.js'

/*
 * The SDK's public surface is the list of named subpaths in package.json "exports" (docs/architecture.md, "The
 * public SDK"). Plugins, bundled or installed by a user, import only those; the plugins' compile-time mapping
 * (tsconfig.plugin.json) names exactly the same ones, so a new subpath is added in both places or neither.
 */

const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {exports: Record<string, unknown>}
const sdkKeys = Object.keys(pjson.exports).filter((key) => key === './sdk' || key.startsWith('./sdk/'))
/** `mlxk/sdk`, `mlxk/sdk/cache`, …: what a plugin may import. */
const NAMED = sdkKeys.map((key) => `mlxk${key.slice(1)}`)

/** Every `mlxk…` module specifier in a source file: static, type-only, side-effect and dynamic imports. */
function mlxkSpecifiers(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](mlxk(?:\/[^'"]*)?)['"]/g)
  return [...found].map((m) => m[1])
}

function pluginSources(): string[] {
  const plugins = join(ROOT, 'plugins')
  return readdirSync(plugins, {withFileTypes: true})
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(plugins, entry.name, 'src'), {recursive: true})
        .map(String)
        .filter((file) => file.endsWith('.ts'))
        .map((file) => join('plugins', entry.name, 'src', file)),
    )
    .sort()
}

/** `file: specifier` for each import of something other than a named subpath. */
function deepImports(): string[] {
  return pluginSources().flatMap((file) =>
    mlxkSpecifiers(readFileSync(join(ROOT, file), 'utf8'))
      .filter((specifier) => !NAMED.includes(specifier))
      .map((specifier) => `${file}: ${specifier}`),
  )
}

describe('@spec the public SDK: plugins import only its named subpaths', () => {
  it('the specifier scan sees every kind of import', () => {
    const source = [
      "import {a} from 'mlxk/sdk'",
      "import type {B} from 'mlxk/sdk/runtime'",
      "const {c} = await import('mlxk/sdk/cache/locate')",
      "import 'mlxk/sdk/x'",
      "import {d} from 'mlxkish'",
    ].join('\n')
    expect(mlxkSpecifiers(source)).to.deep.equal([
      'mlxk/sdk',
      'mlxk/sdk/runtime',
      'mlxk/sdk/cache/locate',
      'mlxk/sdk/x',
    ])
  })

  it('package.json exports the light core and named areas', () => {
    expect(NAMED).to.include.members(['mlxk/sdk', 'mlxk/sdk/cache', 'mlxk/sdk/runtime', 'mlxk/sdk/services'])
  })

  it('every plugin source file imports `mlxk/sdk…` only through a named subpath', () => {
    const sources = pluginSources()
    expect(sources.length, 'plugin sources found').to.be.greaterThan(20)
    expect(deepImports(), `named subpaths: ${NAMED.join(', ')}`).to.deep.equal([])
  })

  it('package.json exports no pattern: a file is public only through an entry file', () => {
    expect(sdkKeys.filter((key) => key.includes('*'))).to.deep.equal([])
  })

  it("the launcher's resolution hook takes exactly the named subpaths", async () => {
    const hook = new URL('../../bin/sdk-resolution.js', import.meta.url).href
    const {sdkEntryMatcher} = (await import(hook)) as {
      sdkEntryMatcher: (exports: Record<string, unknown>) => (specifier: string) => boolean
    }
    const isSdkEntry = sdkEntryMatcher(pjson.exports)
    expect(NAMED.filter((specifier) => !isSdkEntry(specifier))).to.deep.equal([])
    expect(['mlxk', 'mlxk/package.json', 'mlxk/sdkx', 'mlxkish'].filter((s) => isSdkEntry(s))).to.deep.equal([])
    expect(isSdkEntry('mlxk/sdk/cache/locate'), 'a deep path').to.equal(false)
  })

  it("tsconfig.plugin.json maps exactly the exported subpaths, each to its export's declarations", () => {
    const file = join(ROOT, 'tsconfig.plugin.json')
    const {config, error} = ts.parseConfigFileTextToJson(file, readFileSync(file, 'utf8'))
    expect(error, 'tsconfig.plugin.json parses').to.equal(undefined)
    const paths = (config as {compilerOptions: {paths: Record<string, string[]>}}).compilerOptions.paths
    const exported = Object.fromEntries(
      sdkKeys.map((key) => [`mlxk${key.slice(1)}`, (pjson.exports[key] as {types: string}).types]),
    )
    expect(Object.fromEntries(Object.entries(paths).map(([key, [target]]) => [key, target]))).to.deep.equal(exported)
  })
})
