"""What tool calling costs and how reliable forcing is (not a test), on the two tool test models through the worker:

- reliability: sampled generations (temperature 1, seeds 0..N-1) on a prompt the model answers in prose, with
  `tool_choice: "required"` and unforced; counted: a call that parses and whose arguments validate;
- cost: time to the first token and tokens/s of a forced call against the same prompt unforced (greedy), the first
  forced request (grammar compiled) apart from the repeats (compiled grammar reused);
- the scanner's own time per token event, on a text with no call.

    python-runtime/.venv/bin/python bench/tools/tool_calls.py [--runs 20]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python-runtime" / "tests"))

import jsonschema  # noqa: E402
from mlxk_runtime.tool_calls import ToolCallScanner, ToolFormat  # noqa: E402
from mlxk_runtime.tool_request import ToolRequest  # noqa: E402
from worker_client import WorkerClient  # noqa: E402

MODELS = ROOT / "test" / "fixtures" / "models"
EXPECTED = json.loads((MODELS / "expected-tools.json").read_text(encoding="utf-8"))
TOOLS = EXPECTED["tiny-qwen2-tools"]["cases"][0]["tools"]
PROSE = [{"role": "user", "content": "Who are you?"}]


def valid_calls(events: list[dict]) -> bool:
    calls = [e["call"]["function"] for e in events if e["event"] == "tool_call"]
    if not calls or events[-1].get("finish_reason") != "stop":
        return False
    for call in calls:
        tool = next((t for t in TOOLS if t["function"]["name"] == call["name"]), None)
        if tool is None:
            return False
        try:
            jsonschema.validate(json.loads(call["arguments"]), tool["function"]["parameters"])
        except (ValueError, jsonschema.ValidationError):
            return False
    return True


def scanner_cost(n: int = 20000) -> float:
    fmt = ToolFormat("json_tools", "<tool_call>", "</tool_call>", lambda text, _tools: json.loads(text))
    scanner = ToolCallScanner(fmt, ToolRequest(TOOLS, "auto", None, True))
    pieces = ["The", " quick", " <", "brown", " fox", " jumps"] * (n // 6)
    started = time.perf_counter()
    for piece in pieces:
        scanner.feed(piece)
    return (time.perf_counter() - started) / len(pieces) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    client = WorkerClient(worker_args=("--prompt-cache-bytes", "0"))
    try:
        for name in sorted(EXPECTED):
            client.call("load", model_path=str(MODELS / name), model_id=name)
            base = {"model_id": name, "messages": PROSE, "tools": TOOLS, "max_tokens": 120}
            for label, choice in (("forced", {"tool_choice": "required"}), ("unforced", {})):
                runs = [client.events(client.send("generate", **base, **choice)) for _ in range(args.runs + 1)]
                timings = [r[-1]["timing"] for r in runs]
                first, rest = timings[0]["ttft_s"] * 1e3, [t["ttft_s"] * 1e3 for t in timings[1:]]
                tps = statistics.median(t["tokens_per_s"] for t in timings[1:])
                print(
                    f"{name} {label:8} greedy: first ttft {first:.1f} ms, then median {statistics.median(rest):.1f} ms,"
                    f" {tps:.0f} tok/s"
                )
            for label, choice in (("required", {"tool_choice": "required"}), ("auto", {})):
                ok = sum(
                    valid_calls(client.events(client.send("generate", **base, **choice, temperature=1.0, seed=s)))
                    for s in range(args.runs)
                )
                print(f"{name} {label:8} sampled: {ok}/{args.runs} valid calls")
        print(f"scanner: {scanner_cost():.2f} µs per token event")
    finally:
        client.close()


if __name__ == "__main__":
    main()
