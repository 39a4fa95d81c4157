/**
 * Version of mlxk's JSON API. It is a superset of upstream mlx-knife's 0.1.5 (same fields, more of them);
 * docs/json-api.md states the same number and a test keeps the two in step.
 */
export const JSON_API_SPEC_VERSION = '0.2.0'
