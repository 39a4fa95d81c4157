// `mlxk/sdk/render`: the formatting all human output shares. The core commands' renderers sit beside this file;
// a plugin's renderer lives in its plugin.
export {formatRelativeTime, formatSize, formatTable, shortHash} from './format.js'
