// `npm run test:live [-- mocha args]`: the opt-in live suites. The test harness sandboxes HF_HOME, HF_HUB_CACHE and
// HF_TOKEN away from every test, so this copies the user's values to MLXK_LIVE_* first (never overriding those),
// and maps upstream mlx-knife's MLXK2_LIVE_* / MLXK2_USER_HF_HOME names, which its users already have set.
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'

const root = new URL('../..', import.meta.url).pathname
const env = {...process.env}
const alias = (from, to) => {
  if (env[from] && !env[to]) env[to] = env[from]
}

for (const name of Object.keys(process.env))
  if (name.startsWith('MLXK2_LIVE_')) alias(name, name.replace('MLXK2_', 'MLXK_'))
alias('MLXK2_USER_HF_HOME', 'MLXK_LIVE_HF_HOME')
alias('HF_HOME', 'MLXK_LIVE_HF_HOME')
alias('HF_HUB_CACHE', 'MLXK_LIVE_HF_HUB_CACHE')
alias('HF_TOKEN', 'MLXK_LIVE_HF_TOKEN')

const mocha = join(root, 'node_modules', '.bin', 'mocha')
const args = ['test/live/**/*.live.test.ts', '--timeout', '1800000', ...process.argv.slice(2)]
const result = spawnSync(mocha, args, {cwd: root, env, stdio: 'inherit'})
process.exit(result.status ?? 1)
