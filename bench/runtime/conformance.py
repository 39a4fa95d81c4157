"""Conformance of constrained decoding (not a test): 10 schemas × 5 prompts on every test model and on the ~100M
random-weight model, greedy. Every answer that stops must validate; answers cut by the budget are counted apart.

    python-runtime/.venv/bin/python bench/runtime/conformance.py [--max-tokens 200] [--hidden 1024]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python-runtime" / "tests"))
sys.path.insert(0, str(Path(__file__).parent))

import make_random_model  # noqa: E402
from worker_client import WorkerClient, text_of  # noqa: E402

MODELS = ROOT / "test" / "fixtures" / "models"
PROMPTS = [
    "Describe a fruit.",
    "Give me a user record.",
    "List three cities with their population.",
    "Écris une réponse en français, avec des accents: « naïve ».",
    'Quote this: she said "hi\\there" and left.',
]
STRING = {"type": "string", "maxLength": 24}
SCHEMAS = [
    {"type": "object"},
    {"type": "object", "properties": {"name": STRING, "age": {"type": "integer"}}, "required": ["name", "age"]},
    {"type": "object", "properties": {"color": {"enum": ["red", "green", "blue"]}}, "required": ["color"]},
    {"type": "array", "items": {"type": "number", "minimum": -1, "maximum": 1}, "minItems": 1, "maxItems": 5},
    {
        "type": "object",
        "properties": {
            "user": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": STRING, "maxItems": 3}},
                "required": ["id", "tags"],
            }
        },
        "required": ["user"],
    },
    # Strings that must hold a quote and a backslash: both escaped in JSON.
    {
        "type": "object",
        "properties": {"quote": {**STRING, "pattern": '"'}, "path": {**STRING, "pattern": r"\\"}},
        "required": ["quote", "path"],
    },
    {"type": "object", "properties": {"word": {"type": "string", "pattern": "^[à-ÿ]{1,8}$"}}, "required": ["word"]},
    {"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}]},
    {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}, "maxItems": 3},
                "maxItems": 3,
            }
        },
        "required": ["rows"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date"},
            "note": {"type": ["string", "null"], "maxLength": 10},
        },
        "required": ["when", "note"],
    },
]


def run(client: WorkerClient, model: str, max_tokens: int) -> dict:
    counts = {"pairs": 0, "stop": 0, "valid": 0, "length": 0}
    cut: dict[int, int] = {}
    for index, schema in enumerate(SCHEMAS):
        for prompt in PROMPTS:
            params = {"model_id": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens}
            events = client.events(
                client.send("generate", **params, constraint={"type": "json_schema", "schema": schema}), timeout=600
            )
            done = events[-1]
            assert done["event"] == "done", done
            counts["pairs"] += 1
            if done["finish_reason"] == "length":
                counts["length"] += 1
                cut[index] = cut.get(index, 0) + 1
                continue
            counts["stop"] += 1
            try:
                jsonschema.validate(json.loads(text_of(events, "content")), schema)
                counts["valid"] += 1
            except (ValueError, jsonschema.ValidationError) as e:
                print(f"{model}: invalid answer to {json.dumps(schema)}: {e}", file=sys.stderr)
    return {**counts, "valid_of_stopped": counts["valid"] / max(counts["stop"], 1), "length_by_schema": cut}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=1024)
    args = parser.parse_args()
    random_dir = Path(tempfile.mkdtemp(prefix="mlxk-bench-conformance-")) / "random"
    make_random_model.main(str(MODELS / "tiny-qwen2-bpe"), str(random_dir), hidden=args.hidden)
    # The text models, as the runtime tests list them.
    names = sorted(json.loads((MODELS / "expected.json").read_text(encoding="utf-8")))
    paths = {name: MODELS / name for name in names}
    paths["random-weights"] = random_dir
    client = WorkerClient()
    results = {}
    try:
        for name, path in paths.items():
            assert client.call("load", model_path=str(path), model_id=name)["event"] == "loaded"
            results[name] = run(client, name, args.max_tokens)
            client.call("unload", model_id=name)
            print(name, results[name], file=sys.stderr)
    finally:
        client.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
