// The production dependency tree, copied from the local node_modules as package-lock.json describes it.
// `npm ci --omit=dev --offline` would need every tarball in the npm cache (it is not complete here) and
// `--prefer-offline` would go to the registry; the lockfile already says which installed package is production
// and which is dev-only, so copying those directories is offline, exact and fast.
import {cpSync, existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/** Lockfile entries that a production install has: not dev-only, not workspace links, present for this OS. */
export function productionEntries(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
  const entries = []
  for (const [path, meta] of Object.entries(lock.packages ?? {})) {
    if (path === '' || !path.includes('node_modules/')) continue
    if (meta.dev) continue
    entries.push({
      link: meta.link === true,
      optional: meta.optional === true,
      path,
      resolved: meta.resolved,
      version: meta.version,
      meta,
    })
  }
  return entries
}

/**
 * Copies every production package into `<stage>/node_modules`, each directory without its nested node_modules
 * (nested packages are lockfile entries of their own). Workspace links are skipped: the caller packs those.
 * Throws when an installed package is missing or has another version than the lockfile says.
 */
export function copyProductionDeps(root, stage) {
  const workspaces = workspaceLinks(root)
  const problems = []
  const skipped = []
  let copied = 0
  for (const entry of productionEntries(root)) {
    if (entry.link) continue
    const from = join(root, entry.path)
    const pkgJson = join(from, 'package.json')
    if (!existsSync(pkgJson)) {
      // An optional dependency for another platform is absent by design; anything else means a stale install.
      if (entry.optional) skipped.push(entry.path)
      else problems.push(`${entry.path} is missing`)
      continue
    }

    const installed = JSON.parse(readFileSync(pkgJson, 'utf8')).version
    if (installed !== entry.version) {
      problems.push(`${entry.path} is ${installed}, the lockfile says ${entry.version}`)
      continue
    }

    if (entry.meta.os || entry.meta.cpu)
      problems.push(
        `${entry.path} is platform-specific (${entry.meta.os ?? ''} ${entry.meta.cpu ?? ''}): one tree cannot serve every target`,
      )
    cpSync(from, join(stage, stagedPath(entry.path, workspaces)), {
      filter: (src) => src === from || !src.slice(from.length).startsWith('/node_modules'),
      recursive: true,
      verbatimSymlinks: true,
    })
    copied += 1
  }

  if (problems.length > 0) {
    throw new Error(`node_modules does not match package-lock.json (run \`npm ci\`):\n  ${problems.join('\n  ')}`)
  }

  return {copied, skipped}
}

/** Workspace packages the root depends on at run time (the bundled plugins), as {name, dir, resolved}. */
export function workspaceLinks(root) {
  const deps = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {}
  return productionEntries(root)
    .filter((e) => e.link)
    .map((e) => ({dir: join(root, e.resolved), name: e.path.slice('node_modules/'.length), resolved: e.resolved}))
    .filter((ws) => ws.name in deps)
}

/** A dependency the lockfile keeps inside a workspace (`plugins/run/node_modules/x`) ships inside the plugin's copy. */
function stagedPath(path, workspaces) {
  const owner = workspaces.find((ws) => path.startsWith(`${ws.resolved}/`))
  return owner ? join('node_modules', owner.name, path.slice(owner.resolved.length + 1)) : path
}
