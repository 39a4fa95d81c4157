/**
 * Version of mlxk's JSON API. It is a superset of upstream mlx-knife's 0.2.2 (same fields, more of them);
 * docs/json-api.md states the same number and a test keeps the two in step. 0.3.0: the model object's
 * `quantization` became upstream's `{bits, group_size}` object (it was a string), and clone's `health` upstream's
 * string (it was an object).
 */
export const JSON_API_SPEC_VERSION = '0.3.0'
