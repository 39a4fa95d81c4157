// `node --import ./bin/register-sdk.js …`: the same `mlxk/sdk` resolution as bin/run.js, for tools such as
// `oclif manifest` that load plugin commands outside the CLI.
import {registerSdkResolution} from './sdk-resolution.js'

registerSdkResolution(new URL('../package.json', import.meta.url))
