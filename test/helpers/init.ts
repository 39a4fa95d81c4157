import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

// No test may touch the user's real cache, config or home: everything points into one temp dir per run.
const sandbox = mkdtempSync(join(tmpdir(), 'mlxk-test-'))
process.env.HOME = join(sandbox, 'home')
process.env.HF_HOME = join(sandbox, 'hf-home-unused')
delete process.env.HF_HUB_CACHE
delete process.env.HUGGINGFACE_HUB_CACHE
delete process.env.HF_TOKEN
delete process.env.HUGGING_FACE_HUB_TOKEN
process.env.XDG_CONFIG_HOME = join(sandbox, 'config')
process.env.XDG_DATA_HOME = join(sandbox, 'data')
process.env.XDG_CACHE_HOME = join(sandbox, 'cache')
process.env.MLXK_STRICT_TEST_DELETE = '1'
process.env.NODE_ENV = 'test'
process.env.FORCE_COLOR = '0'
process.env.MLXK_TEST_SANDBOX = sandbox
