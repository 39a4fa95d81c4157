// `mlxk/sdk/progress`: progress rows on stderr for long transfers; Listr2 loads only when a display starts.
export {createPullProgress, type PullProgress} from './pull-progress.js'
export {formatDuration, progressLine, RateMeter} from './rate.js'
export {type RunRows, type StderrRow, stderrRowRunner} from './stderr-rows.js'
