"""Behaviour check of a built test model: greedy answers and end-on-EOS, through mlx-lm itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def expected_cases(spec_qa: Any, spec_end: str, is_reasoning: bool) -> list[dict[str, Any]]:
    cases = []
    for qa in spec_qa:
        case: dict[str, Any] = {
            "messages": qa.conversation(),
            "text": qa.answer,
            "ends_with_token": qa.end_token or spec_end,
        }
        if qa.tools:
            case["tools"] = list(qa.tools)
        if is_reasoning:
            reasoning, _, content = qa.answer.partition("</think>")
            case["reasoning"] = reasoning
            case["content"] = content
        cases.append(case)
    return cases


def verify_model_dir(path: Path, cases: list[dict[str, Any]], max_tokens: int = 64) -> list[str]:
    """Returns a list of problems (empty when the model behaves as expected)."""
    from mlx_lm.generate import stream_generate
    from mlx_lm.sample_utils import make_sampler
    from mlx_lm.utils import load

    from ..model_checks import read_json
    from ..model_loading import collect_eos_ids

    model, tokenizer = load(str(path), tokenizer_config={"trust_remote_code": False})
    config = read_json(path / "config.json") or {}
    generation = read_json(path / "generation_config.json") or {}
    tokenizer.eos_token_ids = set(collect_eos_ids(tokenizer, config, generation))
    problems = []
    for case in cases:
        prompt = tokenizer.apply_chat_template(case["messages"], tools=case.get("tools"), add_generation_prompt=True)
        text, last = "", None
        for response in stream_generate(
            model, tokenizer, prompt, max_tokens=max_tokens, sampler=make_sampler(temp=0.0)
        ):
            text += response.text
            last = response
        want_end = tokenizer.convert_tokens_to_ids(case["ends_with_token"])
        if text != case["text"]:
            problems.append(f"{path.name}: {case['messages'][-1]['content']!r} -> {text!r}, want {case['text']!r}")
        elif last is None or last.finish_reason != "stop" or last.token != want_end:
            got = None if last is None else (last.finish_reason, last.token)
            problems.append(f"{path.name}: {case['messages'][-1]['content']!r} did not end on {want_end}: {got}")
    return problems
