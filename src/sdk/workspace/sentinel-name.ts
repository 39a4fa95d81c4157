/** The file `mlxk clone` writes at the root of a workspace; dot-named so model loaders and `health` skip it. */
export const SENTINEL_NAME = '.mlxk_workspace.json'
