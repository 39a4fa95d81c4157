// Services, the run and server plugins and the live tests import it from here; it lives beside its loader.
export {supportedModelTypes} from '../model/supported-types.js'
