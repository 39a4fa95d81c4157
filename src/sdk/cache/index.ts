// `mlxk/sdk/cache`: where the Hugging Face cache is and what it holds. Reading only: the services write it.
export {cacheRoot, hfHome} from './locate.js'
export {dirNameToRepoId, type ModelSpec, parseModelSpec, repoIdToDirName, validateRepoId} from './naming.js'
export {availableRevisions, resolveModel} from './resolve.js'
export {listSnapshotFiles, scanCache, scanModel, selectSnapshot, snapshotSizeBytes} from './scan.js'
export type {CachedModel, ExpectedFile, IncompleteBlob, Resolution, Snapshot, SnapshotFile} from './types.js'
