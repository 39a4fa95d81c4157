import {join} from 'node:path'

import {loadSupportedModelTypes} from '../model/supported-types.js'
import type {SupportedModelTypes} from '../model/types.js'
import {stateCacheDir} from '../paths.js'

/** What the runtime reported last time it ran (written by the runtime client), else the list mlxk ships. */
export function supportedModelTypes(env: NodeJS.ProcessEnv = process.env): SupportedModelTypes {
  return loadSupportedModelTypes({cacheFile: join(stateCacheDir(env), 'runtime-info.json')})
}
