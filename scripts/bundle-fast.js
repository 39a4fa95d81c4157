// Bundles the fast path (lib/fast/run.js: the hot root commands and the part of @oclif/core they use) into one
// CommonJS file, lib/fast/bundle.cjs, that bin/run.js loads before oclif. One file instead of ~200 modules is
// most of the saving; the rest comes from evaluating only what a call uses:
// - @oclif/core is CommonJS that requires its whole graph up front (help, plugin loading, spinners). Each of its
//   top-level `x = require("…")` becomes a proxy that requires on first use, so a command evaluates the parser,
//   flags and errors it touches and nothing else.
// - Other packages stay on disk, required from @oclif/core's own location when (rarely) needed, so they resolve
//   exactly as they would for oclif; `debug` is replaced by a silent logger (see src/fast/debug-off.ts).
// - Builtins are required on first use too.
// - CommonJS output: `require('node:fs')` is cheaper than ESM's import of a builtin, which builds every export.
import {build} from 'esbuild'
import {readFile, rename, stat, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'

const CORE = /[/\\]node_modules[/\\]@oclif[/\\]core[/\\]lib[/\\].*\.js$/
const CORE_INDEX = /[/\\]@oclif[/\\]core[/\\]lib[/\\]index\.js$/
const TOP_LEVEL_REQUIRE =
  /^((?:const|var) \w+|exports\.\w+) = ((?:__importDefault|__importStar)\()?require\(("[^"]+")\)(\)?);$/gm
const PACKAGE_REQUIRE = /\brequire\((["'])(?!node:|\.|debug\1)([^"']+)\1\)/g
// esbuild's CommonJS form of our own `import … from 'node:…'`: a builtin outside Node's start-up snapshot (fs/promises
// brings readline and fs watchers along) is compiled when required, so it too waits for first use. Those Node has
// loaded before any user code are taken as they are: the proxy would only add a step to every call of fs or path.
const BUILTIN_REQUIRE = /^(\s*(?:var )?\w+) = require\(("node:[^"]+")\);$/gm
const LOADED_AT_START = new Set(['"node:fs"', '"node:module"', '"node:path"', '"node:url"', '"node:util"'])
const PLACEHOLDER = '"__MLXK_FAST_INPUTS__"'

// Defined once at the top of the bundle: the lazy module proxy and the require that resolves like @oclif/core.
const BANNER = `"use strict";
const __lazy = (load) => {
  let m
  const t = () => (m ??= load())
  return new Proxy({}, {
    get: (_, k) => t()[k],
    getOwnPropertyDescriptor: (_, k) => {
      const d = Reflect.getOwnPropertyDescriptor(t(), k)
      if (d) d.configurable = true
      return d
    },
    has: (_, k) => k in t(),
    ownKeys: () => Reflect.ownKeys(t()),
  })
}
let __oclifRequire
const __coreRequire = (id) =>
  (__oclifRequire ??= require("node:module").createRequire(require.resolve("@oclif/core/package.json")))(id)`

/** Rewrites one @oclif/core module; `index.js` also loses its engine check, which bin/run.js already made. */
export function transformCore(source, file) {
  let out = source
    .replaceAll(
      TOP_LEVEL_REQUIRE,
      (_, lhs, wrap = '', spec, close = '') => `${lhs} = __lazy(() => ${wrap}require(${spec})${close});`,
    )
    .replaceAll(PACKAGE_REQUIRE, (match, quote, id) =>
      id.startsWith('@oclif/core') ? match : `__coreRequire(${quote}${id}${quote})`,
    )
  return CORE_INDEX.test(file) ? out.replace(/^checkNodeVersion\(\);$/m, '') : out
}

function oclifLazy(root) {
  return {
    name: 'oclif-lazy',
    setup(b) {
      b.onResolve({filter: /^debug$/}, () => ({path: join(root, 'lib', 'fast', 'debug-off.js')}))
      b.onResolve({filter: /^[^./]/}, (args) =>
        args.path.startsWith('@oclif/core') || args.path.startsWith('node:')
          ? undefined
          : {external: true, path: args.path},
      )
      b.onLoad({filter: CORE}, async (args) => ({
        contents: transformCore(await readFile(args.path, 'utf8'), args.path),
        loader: 'js',
      }))
    },
  }
}

/** Builds lib/fast/bundle.cjs under `root` (atomically: a CLI that starts during the build sees old or new). */
export async function bundleFast(root) {
  const outfile = join(root, 'lib', 'fast', 'bundle.cjs')
  const result = await build({
    absWorkingDir: root,
    bundle: true,
    define: {MLXK_FAST_INPUTS: PLACEHOLDER},
    entryPoints: [join(root, 'lib', 'fast', 'run.js')],
    banner: {js: BANNER},
    format: 'cjs',
    logLevel: 'silent',
    metafile: true,
    outfile,
    platform: 'node',
    plugins: [oclifLazy(root)],
    target: 'node24',
    write: false,
  })
  if (result.warnings.length > 0) throw new Error(`bundle-fast: ${result.warnings.map((w) => w.text).join('; ')}`)
  const inputs = await stamp(root, Object.keys(result.metafile.inputs))
  const code = result.outputFiles[0].text
    .replace(PLACEHOLDER, JSON.stringify(inputs))
    .replaceAll(BUILTIN_REQUIRE, (line, lhs, spec) =>
      LOADED_AT_START.has(spec) ? line : `${lhs} = __lazy(() => require(${spec}));`,
    )
  const temp = `${outfile}.${process.pid}.tmp`
  await writeFile(temp, code)
  await rename(temp, outfile)
  return {bytes: code.length, inputs: inputs.length, outfile}
}

/**
 * [path, mtimeMs] of the bundle's own sources, of @oclif/core's package.json (its version) and of the launcher
 * that loads the bundle (they change together; bin/ is not compiled, so an edit there is live at once).
 */
async function stamp(root, inputs) {
  const paths = inputs.filter((p) => !p.includes('node_modules') || p.endsWith('@oclif/core/package.json'))
  paths.push('bin/run.js', 'bin/start-fast.js')
  return Promise.all(paths.sort().map(async (p) => [p, (await stat(join(root, p))).mtimeMs]))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const {bytes, outfile} = await bundleFast(new URL('..', import.meta.url).pathname)
  process.stderr.write(`bundle-fast: ${relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(0)} KiB)\n`)
}
