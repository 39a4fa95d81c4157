"""Constrained decoding (docs/structured-output.md): an llguidance grammar masks the logits of every sampled token.

JSON Schema and Lark are compiled by llguidance itself. The worker adds three things around them: its whitespace
policy for every JSON schema, a free reasoning block before the constrained answer of a reasoning model, and typed
errors for what llguidance refuses. The mask is a logits processor, so the single stream, the batch and every rank
of a group apply it the way mlx-lm applies penalties.
"""

from __future__ import annotations

import json
import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .errors import WorkerError, bad_request
from .model_loading import THINK_END, THINK_START, LoadedModel, single_token_id

# At most one space at each place JSON allows whitespace (the pattern is matched at most once per place), so
# blank tokens can never fill the budget: a per-place bound with newlines and indentation still let a model that
# favours whitespace spend ~20 tokens at each of dozens of places. Overrides (not defaults), so an `x-guidance` in
# a client's schema cannot loosen them or make llguidance skip a keyword it cannot enforce.
JSON_OPTIONS = {
    "whitespace_pattern": r"[ ]",
    "item_separator": ",",
    "key_separator": ":",
    "lenient": False,
    "coerce_one_of": False,
}
ANSWER = "mlxk_answer"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Reasoning ends at the first end marker, as the text splitter ends it: before a marker token, the text may not
# spell the marker out; a marker that is plain text ends the shortest (lazy) match.
REASONING_BEFORE_TOKEN = ("REASONING", "REASONING: /(?s:.*)/ & ~/(?s:.*)<\\/think>(?s:.*)/")
REASONING_UNTIL_TEXT = ("reasoning", "reasoning[lazy]: /(?s:.*)<\\/think>/")
COMPILED_PER_MODEL = 32

# llguidance's messages for schemas it cannot enforce, and the keyword each one names; anything else it refuses
# is an invalid schema.
UNSUPPORTED = (
    (re.compile(r'Unimplemented keys: \["([^"]+)"'), None),
    (re.compile(r"Unknown format"), "format"),
    (re.compile(r"oneOf constraints are not supported"), "oneOf"),
    (re.compile(r"look-around.*not supported"), "pattern"),
    (re.compile(r"patternProperty regexes .* are not disjoint"), "patternProperties"),
    (re.compile(r"min/maxProperties only supported"), "minProperties/maxProperties"),
    (re.compile(r"not present in a registry"), "$ref"),
    (re.compile(r"not supported|unsupported", re.IGNORECASE), None),
)


@dataclass(frozen=True)
class Constraint:
    """What a generate request's `constraint` asks for (docs/runtime-protocol.md §2.4)."""

    type: str
    schema: dict[str, Any] | None = None
    lark: str | None = None
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    def answer_entry(self) -> dict[str, Any]:
        if self.lark is not None:
            return {"lark_grammar": self.lark}
        assert self.schema is not None
        return json_entry(self.schema)


def json_entry(schema: dict[str, Any]) -> dict[str, Any]:
    own = schema.get("x-guidance")
    return {"json_schema": {**schema, "x-guidance": {**(own if isinstance(own, dict) else {}), **JSON_OPTIONS}}}


def parse_constraint(value: Any) -> Constraint | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("constraint must be an object")
    kind = value.get("type")
    if kind == "json_object":
        return Constraint("json_object", schema={"type": "object"})
    if kind == "json_schema":
        schema = value.get("schema")
        if not isinstance(schema, dict):
            raise bad_request("constraint.schema must be a JSON Schema object")
        return Constraint("json_schema", schema=schema)
    if kind == "grammar":
        lark = value.get("lark")
        if not isinstance(lark, str) or not lark.strip():
            raise bad_request("constraint.lark must be a non-empty Lark grammar")
        schemas = value.get("schemas") or {}
        if not isinstance(schemas, dict) or not all(isinstance(s, dict) for s in schemas.values()):
            raise bad_request("constraint.schemas must map names to JSON Schema objects")
        for name in schemas:
            if not NAME.match(name) or name == ANSWER:
                raise bad_request(f"constraint.schemas name not usable as @name: {name!r}")
        return Constraint("grammar", lark=lark, schemas=schemas)
    raise bad_request(f"constraint.type must be json_object, json_schema or grammar, not {kind!r}")


def schema_error(message: str, name: str | None) -> WorkerError:
    where = {"schema_name": name} if name is not None else {}
    for pattern, keyword in UNSUPPORTED:
        found = pattern.search(message)
        if found:
            named = keyword if keyword is not None else (found.group(1) if found.groups() else None)
            return WorkerError("unsupported_schema", message, keyword=named, **where)
    return WorkerError("invalid_schema", message, **where)


def check_schemas(constraint: Constraint) -> None:
    """Each JSON schema alone, so an error names the schema and says whether it is invalid or unsupported."""
    from llguidance import LLMatcher

    schemas: list[tuple[str | None, dict[str, Any]]] = list(constraint.schemas.items())
    if constraint.schema is not None:
        schemas.insert(0, (None, constraint.schema))
    for name, schema in schemas:
        failed, messages = LLMatcher.validate_grammar_with_warnings(json.dumps({"grammars": [json_entry(schema)]}))
        if failed:
            raise schema_error(messages[0], name)


def reasoning_prefix(loaded: LoadedModel, llt: Any, starts_in_reasoning: bool) -> str | None:
    """The Lark rule that lets a reasoning block come first; the constrained answer follows it."""
    if not loaded.is_reasoning:
        return None

    end = special_token(loaded, llt, THINK_END)
    name, rule = REASONING_BEFORE_TOKEN if end else REASONING_UNTIL_TEXT
    block = f"{name} {end}" if end else name
    if not starts_in_reasoning:
        block = f"({special_token(loaded, llt, THINK_START) or json.dumps(THINK_START)} {block})?"
    return f"start: {block} @{ANSWER}\n{rule}\n"


def special_token(loaded: LoadedModel, llt: Any, text: str) -> str | None:
    """`<[id]>` when `text` is one token that llguidance treats as special: it matches those only by id, never as
    text (every added token, whatever tokenizer_config.json says)."""
    token_id = single_token_id(loaded.tokenizer, text)
    return f"<[{token_id}]>" if token_id is not None and llt.is_special_token(token_id) else None


def grammar_of(constraint: Constraint, prefix: str | None) -> str:
    answer = constraint.answer_entry()
    grammars = [answer] if prefix is None else [{"lark_grammar": prefix}, {"name": ANSWER, **answer}]
    grammars += [{"name": name, **json_entry(schema)} for name, schema in constraint.schemas.items()]
    return json.dumps({"grammars": grammars})


class ModelGrammars:
    """One model's llguidance tokenizer and its most recently compiled grammars (matchers to copy)."""

    def __init__(self, loaded: LoadedModel) -> None:
        import llguidance.hf

        self.llt = llguidance.hf.from_tokenizer(loaded.tokenizer._tokenizer, eos_token=list(loaded.eos_token_ids))
        self.compiled: OrderedDict[str, Any] = OrderedDict()

    def matcher(self, constraint: Constraint, grammar: str) -> Any:
        from llguidance import LLMatcher

        template = self.compiled.get(grammar)
        if template is None:
            check_schemas(constraint)
            template = LLMatcher(self.llt, grammar, log_level=0)
            if template.is_error():
                message = template.get_error()
                # A Lark grammar's own errors are grammar errors; those of a `%json` inside it are schema errors.
                if constraint.type == "grammar" and "JSON schema" not in message:
                    raise WorkerError("invalid_grammar", message)
                raise schema_error(message, None)
            self.compiled[grammar] = template
            if len(self.compiled) > COMPILED_PER_MODEL:
                self.compiled.popitem(last=False)
        self.compiled.move_to_end(grammar)
        return template.deep_copy()


_models: weakref.WeakKeyDictionary[Any, ModelGrammars] = weakref.WeakKeyDictionary()


class TokenMask:
    """The logits processor of one constrained generation: the matcher follows the sampled tokens and allows only
    the tokens that keep the output inside the grammar (only EOS once it is complete)."""

    def __init__(self, matcher: Any, vocab_size: int) -> None:
        import numpy as np

        self.matcher = matcher
        self._words = np.zeros((vocab_size + 31) // 32, dtype=np.int32)
        self._seen: int | None = None

    def __call__(self, tokens: Any, logits: Any) -> Any:
        import mlx.core as mx

        # The forward pass starts now, so the device computes it while the matcher computes the mask (the matcher
        # releases the GIL); mlx-lm would only start it after every processor has run.
        mx.async_eval(logits)
        self._follow(tokens)
        allowed = self._allowed(logits.shape[-1])
        return mx.where(mx.array(allowed), logits, mx.array(-mx.inf, dtype=logits.dtype))

    def _follow(self, tokens: Any) -> None:
        # mlx-lm passes the whole history: the prompt on the first call, then one sampled token more each call.
        if self._seen is None:
            self._seen = tokens.size
            return
        new = tokens[self._seen :].tolist()
        self._seen += len(new)
        for token in new:
            if not self.matcher.consume_token(int(token)):
                raise RuntimeError(f"constraint broken at token {token}: {self.matcher.get_error()}")

    def _allowed(self, width: int) -> Any:
        import numpy as np

        self.matcher.unsafe_compute_mask_ptr(self._words.ctypes.data, self._words.nbytes)
        bits = np.unpackbits(self._words.view(np.uint8), bitorder="little")[:width].astype(bool)
        if bits.size < width:
            bits = np.concatenate([bits, np.zeros(width - bits.size, dtype=bool)])
        if not bits.any():
            raise RuntimeError(f"constraint allows no token: {self.matcher.get_error()}")
        return bits


def model_grammars(loaded: LoadedModel) -> ModelGrammars:
    grammars = _models.get(loaded.tokenizer)
    if grammars is None:
        try:
            grammars = _models[loaded.tokenizer] = ModelGrammars(loaded)
        except Exception as e:  # noqa: BLE001 - e.g. a tokenizer llguidance cannot read
            raise WorkerError("generation_failed", f"cannot constrain this model's tokenizer: {e}") from e
    return grammars


def token_mask(constraint: Constraint, loaded: LoadedModel, starts_in_reasoning: bool) -> TokenMask:
    """A fresh mask for one generation; compile errors are typed worker errors, raised before `start`."""
    grammars = model_grammars(loaded)
    grammar = grammar_of(constraint, reasoning_prefix(loaded, grammars.llt, starts_in_reasoning))
    return TokenMask(grammars.matcher(constraint, grammar), grammars.llt.vocab_size)
