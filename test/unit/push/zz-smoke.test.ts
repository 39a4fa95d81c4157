import {cpSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {startTestHub} from '../../../test/hub/hub-server.js'
import {pushWorkspace} from '../../../src/sdk/services/push.js'

describe('smoke', function () {
  this.timeout(60000)
  it('pushes', async () => {
    const hub = await startTestHub({repos: [], writers: {hf_writer: ['me']}})
    const dir = mkdtempSync(join(tmpdir(), 'ws-'))
    cpSync('/work/main/test/fixtures/models/tiny-qwen2-bpe', dir, {recursive: true})
    const env = {...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_writer'}
    const events: string[] = []
    const r = await pushWorkspace({branch: 'main', commitMessage: 'x', create: true, dir, env, repoId: 'me/m', onEvent: (e) => events.push(e.type)})
    console.log(JSON.stringify(r, null, 1), [...new Set(events)])
    const again = await pushWorkspace({branch: 'main', commitMessage: 'x', create: true, dir, env, repoId: 'me/m'})
    console.log(again.message, again.no_changes)
    writeFileSync(join(dir, 'config.json'), '{"model_type":"qwen2"}')
    const dry = await pushWorkspace({branch: 'main', commitMessage: 'x', dryRun: true, dir, env, repoId: 'me/m'})
    console.log(dry.message, dry.modified_files)
    console.log(hub.upload.commits, hub.upload.lfsPuts.length)
    await hub.close()
  })
})
