import type {Hook} from '@oclif/core'

/**
 * `mlxk autocomplete` (and its `--refresh-cache`) regenerates the plugin's scripts; this adds model names for
 * show/run/rm to them. It runs after every command, so it imports nothing until the command is one of those.
 */
const hook: Hook.Postrun = async function (options) {
  const id = options.Command?.id
  if (id !== 'autocomplete' && id !== 'autocomplete:create') return
  const {patchAutocompleteCache} = await import('../sdk/completion.js')
  await patchAutocompleteCache(options.config.cacheDir, options.config.bin)
}

export default hook
