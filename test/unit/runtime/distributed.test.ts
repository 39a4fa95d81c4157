import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'

import {ExitCode, type MlxkError} from '../../../src/sdk/errors.js'
import {
  type GroupHost,
  isThisMachine,
  parseHostList,
  pathOnHost,
  prepareGroupLaunch,
  readHostfile,
  resolveGroupSpec,
} from '../../../src/sdk/runtime/distributed/index.js'

function caught(fn: () => unknown): MlxkError {
  try {
    fn()
  } catch (error) {
    return error as MlxkError
  }

  throw new Error('expected an error')
}

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mlxk-dist-')), name)
  writeFileSync(path, content)
  return path
}

const host = (pathMap: Record<string, string>): GroupHost => ({ips: [], local: false, pathMap, rdma: [], ssh: 'h'})

describe('distributed group spec', () => {
  it('knows this machine by loopback, host name and its own addresses', () => {
    for (const name of ['127.0.0.1', '127.0.1.1', 'localhost', '::1', hostname()]) {
      expect(isThisMachine(name), name).to.equal(true)
    }

    expect(isThisMachine('10.255.255.1')).to.equal(false)
    expect(isThisMachine('some-other-mac')).to.equal(false)
  })

  it('turns --hosts into one rank per entry, with IPs for addresses and loopback', () => {
    const hosts = parseHostList('127.0.0.1, localhost,10.0.0.2,mac3')
    expect(hosts.map((h) => h.ssh)).to.deep.equal(['127.0.0.1', 'localhost', '10.0.0.2', 'mac3'])
    expect(hosts.map((h) => h.ips)).to.deep.equal([['127.0.0.1'], ['127.0.0.1'], ['10.0.0.2'], []])
    expect(hosts.map((h) => h.local)).to.deep.equal([true, true, false, false])
  })

  it('refuses groups that cannot work, as usage errors', () => {
    const cases: [Parameters<typeof resolveGroupSpec>[0], RegExp][] = [
      [{hosts: '127.0.0.1'}, /at least two/],
      [{hosts: '127.0.0.1,,10.0.0.2'}, /at least two/],
      [{hosts: '10.255.255.1,127.0.0.1'}, /first host .* must be this machine/],
      [{hostfile: 'x', hosts: '127.0.0.1,127.0.0.1'}, /either --hosts or --hostfile/],
      [{sharding: 'tensor'}, /--sharding needs --hosts/],
      [{ringPort: 4000}, /--ring-port needs --hosts/],
      [{backend: 'nccl', hosts: '127.0.0.1,127.0.0.1'}, /--backend must be one of/],
      [{hosts: '127.0.0.1,127.0.0.1', sharding: 'rows'}, /--sharding must be one of/],
    ]
    for (const [options, message] of cases) {
      const error = caught(() => resolveGroupSpec(options))
      expect(error.type, JSON.stringify(options)).to.equal('distributed_config_invalid')
      expect(error.exitCode).to.equal(ExitCode.usage)
      expect(error.message).to.match(message)
    }
  })

  it('is undefined without hosts, and defaults to ring and auto sharding with them', () => {
    expect(resolveGroupSpec({})).to.equal(undefined)
    const spec = resolveGroupSpec({hosts: '127.0.0.1,127.0.0.1'})
    expect(spec).to.include({backend: 'ring', sharding: 'auto'})
    expect(spec?.hosts).to.have.length(2)
  })

  it("reads mlx.launch hostfiles (list or object) with mlxk's path_map and python per host", () => {
    const file = tempFile(
      'hosts.json',
      JSON.stringify({
        backend: 'jaccl',
        envs: ['MLX_METAL_FAST_SYNCH=1'],
        hosts: [
          {ips: ['192.168.2.1'], ssh: '127.0.0.1'},
          {
            ips: ['192.168.2.2'],
            path_map: {'/a/hub': '/b/hub'},
            python: '/b/py',
            rdma: [null, 'rdma_en2'],
            ssh: 'mac2',
          },
        ],
      }),
    )
    const spec = resolveGroupSpec({hostfile: file})!
    expect(spec.backend).to.equal('jaccl')
    expect(spec.envs).to.deep.equal(['MLX_METAL_FAST_SYNCH=1'])
    expect(spec.hosts[1]).to.deep.include({local: false, python: '/b/py', ssh: 'mac2'})
    expect(spec.hosts[1]!.pathMap).to.deep.equal({'/a/hub': '/b/hub'})
    expect(resolveGroupSpec({backend: 'ring', hostfile: file})!.backend).to.equal('ring')
    const list = tempFile('list.json', JSON.stringify([{ssh: 'localhost'}, {ips: ['10.0.0.2'], ssh: 'mac2'}]))
    expect(readHostfile(list).hosts[0]!.ips).to.deep.equal(['127.0.0.1'])
  })

  it('names what is wrong in a bad hostfile', () => {
    const cases: [string, RegExp][] = [
      ['not json', /Cannot read the hostfile/],
      ['{"hosts": "x"}', /expected a list of hosts/],
      ['[{"ssh": "127.0.0.1"}]', /at least two hosts/],
      ['[{"ssh": "127.0.0.1"}, {"ips": []}]', /hosts\[1\] has no "ssh"/],
      ['[{"ssh": "127.0.0.1"}, {"ssh": "m", "path_map": {"rel": "/x"}}]', /absolute paths/],
      ['[{"ssh": "127.0.0.1"}, {"ssh": "m", "ips": [1]}]', /ips must be a list of strings/],
    ]
    for (const [content, message] of cases) {
      const error = caught(() => readHostfile(tempFile('h.json', content)))
      expect(error.type).to.equal('distributed_config_invalid')
      expect(error.message).to.match(message)
    }

    expect(caught(() => readHostfile('/nonexistent/h.json')).type).to.equal('distributed_config_invalid')
  })

  it('maps a model path to each host by the longest matching prefix', () => {
    const mapped = host({'/Users/a': '/Volumes/x', '/Users/a/.cache/hub/': '/Users/b/hub'})
    expect(pathOnHost('/Users/a/.cache/hub/models--o--n/snapshots/abc', mapped)).to.equal(
      '/Users/b/hub/models--o--n/snapshots/abc',
    )
    expect(pathOnHost('/Users/a/work/model', mapped)).to.equal('/Volumes/x/work/model')
    expect(pathOnHost('/Users/ab/model', mapped)).to.equal('/Users/ab/model')
    expect(pathOnHost('/opt/model', host({}))).to.equal('/opt/model')
  })
})

describe('distributed group launch', () => {
  it('writes the hostfile mlx.launch reads and picks each rank interpreter by MLX_RANK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxk-launch-'))
    const spec = resolveGroupSpec({hosts: '127.0.0.1,10.0.0.2', remotePython: '/remote/py', sharding: 'pipeline'})!
    const launch = await prepareGroupLaunch(spec, {dir, python: '/local/py', socketPath: '/tmp/s/w.sock'})
    const hostfile = JSON.parse(readFileSync(join(dir, 'hostfile.json'), 'utf8')) as {hosts: {ssh: string}[]}
    // Only the ssh name 127.0.0.1 makes mlx.launch start a rank without ssh.
    expect(hostfile.hosts.map((h) => h.ssh)).to.deep.equal(['127.0.0.1', '10.0.0.2'])
    expect(launch.args).to.include.members(['--hostfile', '--backend', 'ring', '--starting-port', String(launch.port)])
    const rank = launch.args.slice(launch.args.indexOf('--') + 1)
    expect(rank.slice(0, 2)).to.deep.equal(['/bin/sh', '-c'])
    expect(rank[2]).to.include(`0) exec '/local/py' "$@";;`).and.include(`1) exec '/remote/py' "$@";;`)
    expect(rank.slice(4)).to.deep.equal([
      '-I',
      '-m',
      'mlxk_runtime.worker',
      '--connect',
      '/tmp/s/w.sock',
      '--distributed',
      '--backend',
      'ring',
      '--sharding',
      'pipeline',
    ])
    expect(launch.port).to.be.within(20_000, 60_000)
  })

  it('honours --ring-port and reports names that do not resolve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxk-launch-'))
    const spec = resolveGroupSpec({hosts: '127.0.0.1,127.0.0.1', ringPort: 41_000})!
    expect((await prepareGroupLaunch(spec, {dir, python: 'p', socketPath: 's'})).port).to.equal(41_000)
    const unresolvable = resolveGroupSpec({hosts: '127.0.0.1,no-such-host.invalid'})!
    const error = await prepareGroupLaunch(unresolvable, {dir, python: 'p', socketPath: 's'}).then(
      () => undefined,
      (error: unknown) => error as MlxkError,
    )
    expect(error?.type).to.equal('host_unreachable')
  })
})
