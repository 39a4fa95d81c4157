import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {FAST_ALIASES, FAST_COMMANDS, LIFECYCLE_EVENTS, LIFECYCLE_HOOKS} from '../../src/fast/commands.js'
import {ROOT} from '../helpers/run-cli.js'

/*
 * The fast path (src/fast) runs some root commands without oclif's discovery. These checks keep its explicit table
 * true to what oclif would find: the same aliases, the same root hooks, no plugin hook it would skip, and no other
 * command id that oclif would read instead of a fast one.
 */

interface Pjson {
  name: string
  oclif: {hooks?: Record<string, string | string[]>; plugins?: string[]}
}
interface Manifest {
  commands: Record<string, {aliases?: string[]; args?: object; id: string; relativePath: string[]; strict?: boolean}>
}

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T
const root = readJson<Pjson>(join(ROOT, 'package.json'))
// Bundled plugins are the CLI's dependencies (workspace plugins are linked there too).
const pluginDirs = (root.oclif.plugins ?? []).map((name) => join(ROOT, 'node_modules', name))
const rootManifest = readJson<Manifest>(join(ROOT, 'oclif.manifest.json'))
const hookList = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat())
/** The default export of the source file behind a compiled path such as `./lib/hooks/x.js` or [lib, commands, x.js]. */
async function sourceOf(compiled: string | string[]): Promise<unknown> {
  const path = [compiled]
    .flat()
    .join('/')
    .replace(/^(\.\/)?lib\//, 'src/')
    .replace(/\.js$/, '.ts')
  return ((await import(join(ROOT, path))) as {default: unknown}).default
}

describe('fast path table agrees with package.json and every manifest', () => {
  it('runs only root commands, with the arguments and aliases the manifest gives them', async () => {
    for (const [id, {args, load}] of Object.entries(FAST_COMMANDS)) {
      const command = rootManifest.commands[id]
      expect(command, id).to.not.equal(undefined)
      expect(args, id).to.equal(command!.strict === false || Object.keys(command!.args ?? {}).length > 0)
      expect((await load()).default, `${id} loads its command`).to.equal(await sourceOf(command!.relativePath))
    }

    const aliases = Object.values(rootManifest.commands)
      .filter((c) => c.id in FAST_COMMANDS)
      .flatMap((c) => (c.aliases ?? []).map((alias) => [alias, c.id]))
    expect(FAST_ALIASES).to.deep.equal(Object.fromEntries(aliases))
  })

  it('runs the root lifecycle hooks package.json declares, and no bundled plugin declares one', async () => {
    for (const event of LIFECYCLE_EVENTS) {
      const declared = hookList(root.oclif.hooks?.[event]).map((target) =>
        join(ROOT, target.replace(/^\.\/lib\//, 'src/').replace(/\.js$/, '.ts')),
      )
      const fromDeclared = await Promise.all(
        declared.map(async (file) => ((await import(file)) as {default: unknown}).default),
      )
      const fromTable = await Promise.all((LIFECYCLE_HOOKS[event] ?? []).map(async (load) => (await load()).default))
      expect(fromTable, event).to.deep.equal(fromDeclared)
    }

    for (const dir of pluginDirs) {
      const hooks = Object.keys(readJson<Pjson>(join(dir, 'package.json')).oclif.hooks ?? {})
      expect(
        hooks.filter((event) => (LIFECYCLE_EVENTS as readonly string[]).includes(event)),
        dir,
      ).to.deep.equal([])
    }
  })

  it('no other command id continues a fast one or takes its name', () => {
    const fastNames = [...Object.keys(FAST_COMMANDS), ...Object.keys(FAST_ALIASES)]
    const manifests = [{dir: ROOT, manifest: rootManifest}].concat(
      pluginDirs.map((dir) => ({dir, manifest: readJson<Manifest>(join(dir, 'oclif.manifest.json'))})),
    )
    for (const {dir, manifest} of manifests) {
      const ids = Object.values(manifest.commands).flatMap((c) => [c.id, ...(c.aliases ?? [])])
      const clashes = ids.filter((id) =>
        fastNames.some((name) => id.startsWith(`${name}:`) || (dir !== ROOT && id === name)),
      )
      expect(clashes, dir).to.deep.equal([])
    }
  })
})
