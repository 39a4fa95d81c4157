import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

const ROOT = new URL('../..', import.meta.url).pathname
export const PYTHON = process.env.MLXK_TEST_PYTHON ?? join(ROOT, 'python-runtime', '.venv', 'bin', 'python')

/** True when the runtime venv (with huggingface_hub) exists; tests that need Python skip otherwise. */
export function hasPythonHub(): boolean {
  return existsSync(PYTHON)
}

/**
 * Runs a Python snippet against a hub and cache. HF_HUB_OFFLINE and tokens from the parent are cleared so the
 * snippet sees only what the test gives it, and telemetry cannot reach the real Hub.
 */
export async function runPython(
  code: string,
  env: Record<string, string | undefined>,
): Promise<{code: null | number; stderr: string; stdout: string}> {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HUB_DISABLE_PROGRESS_BARS: '1',
    HF_HUB_DISABLE_XET: '1',
    HF_HUB_OFFLINE: undefined,
    HF_TOKEN: undefined,
    HUGGING_FACE_HUB_TOKEN: undefined,
    ...env,
  }
  const child = spawn(PYTHON, ['-c', code], {env: childEnv, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const exit = await new Promise<null | number>((resolve) => child.on('close', resolve))
  return {code: exit, stderr, stdout}
}
