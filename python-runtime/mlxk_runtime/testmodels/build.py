"""Builds the tiny test models: `python -m mlxk_runtime.testmodels.build --out test/fixtures/models [--check]`.

Deterministic inputs (fixed seeds, fixed corpus); CPU float math may still differ across machines, so
`--check` compares behaviour (greedy answers, EOS) rather than bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .embedding_build import build_embedders, verify_embedder
from .specs import SPECS, ModelSpec
from .tool_specs import TOOL_SPECS
from .verify import expected_cases, verify_model_dir

EMBEDDERS_FILE = "expected-embeddings.json"
TOOLS_FILE = "expected-tools.json"
# The parser mlx-lm must select from each tool model's template.
TOOL_PARSERS = {"tiny-qwen2-tools": "json_tools", "tiny-mistral-tools": "mistral"}
QUANTIZED_NAME = "tiny-qwen2-bpe-4bit"
QUANT_SOURCE = "tiny-qwen2-bpe"
STOP_CASE = {
    "messages": [{"role": "user", "content": "List the colors."}],
    "stop": ["more", "END-OF-LIST"],
    "text": "red, green, blue ",
}


def build_one(spec: ModelSpec, out: Path) -> tuple[Any, Any, dict[str, Any]]:
    from .model_writer import write_model_dir
    from .tokenizer_build import train_tokenizer
    from .training import model_config, train

    tok = train_tokenizer(spec)
    config = model_config(spec, tok)
    model = train(spec, tok, config, budget_s=spec.train_budget_s)
    write_model_dir(out / spec.name, spec, tok, config, model)
    return tok, model, config


def build_quantized(spec: ModelSpec, tok: Any, model: Any, config: dict[str, Any], out: Path) -> dict[str, Any]:
    """Quantizes with mlx-lm; falls back to 8-bit if 4-bit breaks the answers (decisions.md)."""
    import copy

    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_unflatten
    from mlx_lm.utils import quantize_model

    from .model_writer import write_model_dir
    from .training import build_model

    weights = dict(tree_flatten(model.parameters()))
    cases = expected_cases(spec.qa, spec.end_of_turn, False)
    for bits in (4, 8):
        fresh = build_model(config)
        fresh.update(tree_unflatten(list(weights.items())))
        mx.eval(fresh.parameters())
        qmodel, qconfig = quantize_model(fresh, copy.deepcopy(config), group_size=32, bits=bits)
        target = out / QUANTIZED_NAME
        shutil.rmtree(target, ignore_errors=True)
        qspec = ModelSpec(**{**spec.__dict__, "name": QUANTIZED_NAME})
        note = f"Quantized to {bits} bits (group size 32) with mlx-lm from tiny-qwen2-bpe."
        write_model_dir(target, qspec, tok, qconfig, qmodel, note=note)
        problems = verify_model_dir(target, cases)
        if not problems:
            return {"bits": bits, "group_size": 32}
        print(f"  {bits}-bit quantization changed answers: {problems[:2]}", flush=True)
    raise SystemExit("quantized model does not reproduce the answers even at 8 bits")


def expected_entry(spec: ModelSpec, tok: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    reasoning = "<think>" in spec.chat_template
    entry: dict[str, Any] = {
        "model_type": spec.model_type,
        "tokenizer": spec.tokenizer_kind,
        "is_reasoning": reasoning,
        "context_length": 256,
        "eos_token_ids": sorted({tok.token_to_id(t) for t in (*spec.generation_eos, spec.end_of_turn)}),
        "eos_tokens": sorted({*spec.generation_eos, spec.end_of_turn}),
        "cases": expected_cases(spec.qa, spec.end_of_turn, reasoning and spec.name in SPECS),
    }
    if not reasoning and spec.name in SPECS:
        entry["stop_case"] = STOP_CASE
    entry.update(extra or {})
    return entry


def build_all(out: Path, only: set[str] | None = None, specs: dict[str, ModelSpec] = SPECS) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Any] = {}
    for name, spec in specs.items():
        if only is not None and name not in only:
            continue
        shutil.rmtree(out / name, ignore_errors=True)
        tok, model, config = build_one(spec, out)
        expected[name] = expected_entry(
            spec, tok, {"tool_parser": TOOL_PARSERS[name]} if name in TOOL_PARSERS else None
        )
        if name == QUANT_SOURCE:
            quant = build_quantized(spec, tok, model, config, out)
            expected[QUANTIZED_NAME] = expected_entry(spec, tok, {"quantization": quant})
    return expected


def write_checksums(out: Path, names: list[str]) -> None:
    lines = []
    for name in sorted(names):
        for f in sorted((out / name).rglob("*")):
            if f.is_file():
                digest = hashlib.sha256(f.read_bytes()).hexdigest()
                lines.append(f"{digest}  {f.relative_to(out).as_posix()}")
    (out / "CHECKSUMS.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify_all(root: Path, expected: dict[str, Any], embedders: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, entry in {**expected, **embedders}.items():
        if not (root / name).is_dir():
            problems.append(f"{name}: missing")
            continue
        problems += (
            verify_embedder(root / name, entry) if name in embedders else verify_model_dir(root / name, entry["cases"])
        )
    return problems


def read_expected(out: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Chat models' answers (expected.json), embedders' groups (EMBEDDERS_FILE) and tool models' answers
    (TOOLS_FILE), as committed."""

    def read(name: str) -> dict[str, Any]:
        path = out / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    return read("expected.json"), read(EMBEDDERS_FILE), read(TOOLS_FILE)


def write_expected(path: Path, expected: dict[str, Any]) -> None:
    path.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlxk_runtime.testmodels.build")
    parser.add_argument("--out", required=True, type=Path, help="fixture directory (test/fixtures/models)")
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and verify behaviour only")
    parser.add_argument("--only", action="append", help="rebuild only this model (repeatable); the others stay")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.check:
        expected, embedders, tools = read_expected(args.out)
        with tempfile.TemporaryDirectory(prefix="mlxk-testmodels-") as tmp:
            rebuilt = {**build_all(Path(tmp)), **build_all(Path(tmp), specs=TOOL_SPECS), **build_embedders(Path(tmp))}
            problems = verify_all(Path(tmp), {**expected, **tools}, embedders)
            if set(rebuilt) != {*expected, *tools, *embedders}:
                problems.append(f"model set differs: {sorted(rebuilt)} vs {sorted({*expected, *tools, *embedders})}")
        problems += [f"committed {p}" for p in verify_all(args.out, {**expected, **tools}, embedders)]
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"check {'failed' if problems else 'passed'} in {time.perf_counter() - started:.1f}s")
        return 1 if problems else 0
    only = set(args.only) if args.only else None
    expected, embedders, tools = read_expected(args.out) if only else ({}, {}, {})
    expected.update(build_all(args.out, only))
    tools.update(build_all(args.out, only, specs=TOOL_SPECS))
    embedders.update(build_embedders(args.out, only))
    write_expected(args.out / "expected.json", expected)
    write_expected(args.out / EMBEDDERS_FILE, embedders)
    write_expected(args.out / TOOLS_FILE, tools)
    problems = verify_all(args.out, {**expected, **tools}, embedders)
    write_checksums(args.out, [*expected, *tools, *embedders])
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    print(f"built {len(expected) + len(tools) + len(embedders)} models in {time.perf_counter() - started:.1f}s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
