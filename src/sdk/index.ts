// `mlxk/sdk`, the light core: what every plugin needs to define a command. The other areas have their own named
// subpaths (`mlxk/sdk/cache`, `mlxk/sdk/runtime`, …; docs/architecture.md lists them), so importing this stays cheap.
export {MlxkCommand, toMlxkError} from './command.js'
export {type Envelope, errorEnvelope, formatEnvelope, successEnvelope} from './envelope.js'
export {formatEnvelopeLine} from './envelope.js'
export {
  type ErrorBody,
  ExitCode,
  type ExitCodeValue,
  isMlxkError,
  MlxkError,
  type MlxkErrorOptions,
  toErrorBody,
  usageError,
} from './errors.js'
export {createLogger, type Logger, type LogLevel} from './log.js'
export {configDir, dataDir, stateCacheDir} from './paths.js'
export {redact} from './redact.js'
export {Args, Flags} from '@oclif/core'
