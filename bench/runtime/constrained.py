"""What constrained decoding costs (not a test): tokens/s with and without a constraint through the worker, one
stream and four concurrent (batched) streams, on the ~100M random-weight model; compile time of a new schema; the
mask's own time per token at the test vocabulary and at a 128k one.

    python-runtime/.venv/bin/python bench/runtime/constrained.py [--runs 5] [--max-tokens 128]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python-runtime" / "tests"))
sys.path.insert(0, str(Path(__file__).parent))

import make_random_model  # noqa: E402
from worker_client import WorkerClient  # noqa: E402

TINY = ROOT / "test" / "fixtures" / "models" / "tiny-qwen2-bpe"
PROMPT = "The quick brown fox jumps over the lazy dog. "
# Structure and short strings, with more items than any budget here holds: greedy output always runs to the budget,
# like the unconstrained baseline.
LONG = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": 0, "maximum": 999},
            "name": {"type": "string", "maxLength": 12},
            "ok": {"type": "boolean"},
        },
        "required": ["id", "name", "ok"],
    },
    "minItems": 1000,
}


def generate(client: WorkerClient, params: dict) -> dict:
    events = client.events(client.send("generate", **params), timeout=600)
    assert events[-1]["event"] == "done", events[-1]
    return events[-1]


def single(client: WorkerClient, params: dict) -> float:
    done = generate(client, params)
    assert done["usage"]["completion_tokens"] == params["max_tokens"], done
    return done["timing"]["tokens_per_s"]


def concurrent(client: WorkerClient, params: dict, streams: int) -> float:
    """Tokens per second of all streams together, first token to last."""
    started = time.perf_counter()
    rids = [client.send("generate", **params) for _ in range(streams)]
    dones = [client.events(rid, timeout=600)[-1] for rid in rids]
    tokens = sum(d["usage"]["completion_tokens"] for d in dones)
    return tokens / (time.perf_counter() - started)


def elapsed(call, *args) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def mask_cost(model_path: Path, schema: dict, steps: int = 200) -> dict:
    """The first request's setup (the engine's view of the vocabulary, the compile) and the microseconds per token
    of the mask alone (matcher step, bitmask, applied to the logits), greedy on random logits."""
    import mlx.core as mx
    from mlxk_runtime.constrained import Constraint, token_mask
    from mlxk_runtime.model_loading import load_model, supported_model_types

    loaded = load_model(str(model_path), "m", set(supported_model_types()))
    vocab = loaded.model.args.vocab_size
    setup_s = elapsed(token_mask, Constraint("json_schema", schema=schema), loaded, False)
    mask = token_mask(Constraint("json_schema", schema=schema), loaded, False)
    history = mx.array([1], dtype=mx.int32)
    mask(history, mx.zeros((1, vocab)))
    logits = mx.random.normal((1, vocab))
    mx.eval(logits)
    spent = 0.0
    for _ in range(steps):
        started = time.perf_counter()
        masked = mask(history, logits)
        token = mx.argmax(masked, axis=-1)
        mx.eval(token)
        spent += time.perf_counter() - started
        history = mx.concatenate([history, token.astype(mx.int32)])
        logits = mx.random.normal((1, vocab))
        mx.eval(logits)
    return {"vocab": vocab, "first_request_setup_s": setup_s, "mask_us_per_token": spent / steps * 1e6}


def big_vocab_model(out: Path, vocab: int = 128_000) -> Path:
    """A 2-layer random qwen2 whose byte-level BPE tokenizer has `vocab` tokens, trained on Python's own sources."""
    import sysconfig

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()

    def corpus(limit: float = 40e6):
        size = 0
        for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
            text = path.read_bytes().decode("utf-8", "replace")
            size += len(text)
            yield text
            if size > limit:
                return

    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer)
    src = out.parent / f"{out.name}-tokenizer"
    src.mkdir(parents=True, exist_ok=True)
    tok.save(str(src / "tokenizer.json"))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        (src / name).write_text((TINY / name).read_text())
    config = json.loads((TINY / "config.json").read_text())
    (src / "config.json").write_text(json.dumps({**config, "vocab_size": tok.get_vocab_size()}))
    make_random_model.main(str(src), str(out), hidden=256, layers=2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--streams", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlxk-bench-constrained-"))
    make_random_model.main(str(TINY), str(work / "random-100m"))
    client = WorkerClient()
    try:
        assert client.call("load", model_path=str(work / "random-100m"), model_id="m")["event"] == "loaded"
        base = {"model_id": "m", "prompt": PROMPT, "max_tokens": args.max_tokens, "temperature": 0.0}
        constrained = {**base, "constraint": {"type": "json_schema", "schema": LONG}}
        for params in (base, constrained):  # warm-up, and the schema compiled once
            single(client, params)
        print("single stream", file=sys.stderr)
        plain, masked = [], []
        for _ in range(args.runs):  # interleaved, so a noisy neighbour hits both alike
            plain.append(single(client, base))
            masked.append(single(client, constrained))
        print(f"{args.streams} streams", file=sys.stderr)
        plain_n, masked_n = [], []
        for _ in range(max(2, args.runs // 2)):
            plain_n.append(concurrent(client, base, args.streams))
            masked_n.append(concurrent(client, constrained, args.streams))
        print("compile", file=sys.stderr)
        compile_ms = []
        for i in range(5):
            # A new schema is compiled on its first request and copied from the cache on the second.
            once = {**base, "max_tokens": 1, "constraint": {"type": "json_schema", "schema": {**LONG, "title": str(i)}}}
            first, again = (elapsed(generate, client, once) for _ in range(2))
            compile_ms.append((first - again) * 1000)
    finally:
        client.close()
    results = {
        "single_stream_tokens_per_s": {"plain": statistics.median(plain), "constrained": statistics.median(masked)},
        "single_stream_ratio": statistics.median(masked) / statistics.median(plain),
        f"{args.streams}_streams_tokens_per_s": {
            "plain": statistics.median(plain_n),
            "constrained": statistics.median(masked_n),
        },
        f"{args.streams}_streams_ratio": statistics.median(masked_n) / statistics.median(plain_n),
        "schema_compile_ms": statistics.median(compile_ms),
        "mask_alone": [mask_cost(work / "random-100m", LONG), mask_cost(big_vocab_model(work / "big-vocab"), LONG)],
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
