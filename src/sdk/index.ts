// The light part of the SDK: what every plugin needs to define a command. Heavy concerns (cache scan, hub,
// runtime, progress) have their own subpath exports (`mlxk/sdk/cache/scan`, …) so importing this stays cheap.
export {MlxkCommand, toMlxkError} from './command.js'
export {type Envelope, errorEnvelope, formatEnvelope, successEnvelope} from './envelope.js'
export {
  type ErrorBody,
  ExitCode,
  type ExitCodeValue,
  isMlxkError,
  MlxkError,
  type MlxkErrorOptions,
  toErrorBody,
} from './errors.js'
export {createLogger, type Logger, type LogLevel} from './log.js'
export {configDir, dataDir, stateCacheDir} from './paths.js'
export {redact} from './redact.js'
export {Args, Flags} from '@oclif/core'
