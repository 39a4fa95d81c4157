// The README's main job, offline: build a demo HF cache from the project's own small MLX models, then use mlxk on it.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const {importFolder} = await import(join(root, 'lib/sdk/cache/import-folder.js'))
const modelsDir = join(root, 'test', 'fixtures', 'models')
const hub = join(root, '.mlxk-demo', 'hub')
rmSync(join(root, '.mlxk-demo'), {force: true, recursive: true})
mkdirSync(hub, {recursive: true})

const models = existsSync(modelsDir)
  ? readdirSync(modelsDir)
      .filter((name) => existsSync(join(modelsDir, name, 'config.json')))
      .sort()
  : []
if (models.length === 0) {
  console.error(`demo: no models in ${modelsDir}`)
  process.exit(1)
}

for (const name of models) await importFolder({folder: join(modelsDir, name), repoId: `mlxk-demo/${name}`, root: hub})

const env = {...process.env, HF_HUB_CACHE: hub}
let failed = false
const mlxk = (...args) => {
  console.log(`\n$ mlxk ${args.join(' ')}`)
  const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {env, stdio: 'inherit'})
  if (r.status !== 0) failed = true
}

console.log(`demo cache: ${hub} (HF_HUB_CACHE)`)
mlxk('list', '--health')
mlxk('health')
mlxk('show', models[0], '--files')
const run = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'run', '--help'], {env, stdio: 'ignore'})
if (run.status === 0) {
  env.MLXK_ALPHA = 'all'
  // The tiny models only know what they were trained on (test/fixtures/models/expected.json); greedy, they answer it.
  mlxk('run', 'tiny-qwen2-bpe', 'What is the capital of France?', '--temperature', '0')
  mlxk('run', 'tiny-llama-spm', 'Describe the café.', '--temperature', '0', '--json')
}

console.log(`\nTry it yourself: HF_HUB_CACHE=${hub} scripts/with-node24.sh bin/run.js list`)
process.exit(failed ? 1 : 0)
