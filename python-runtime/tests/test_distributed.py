"""A distributed worker group: two local ranks over loopback (ring backend), run in lockstep by mlx.launch.

Every result is compared with the single-process worker (the session `worker` fixture): sharding a model across
ranks must not change what it generates.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPECTED, MODELS_DIR
from worker_client import WorkerClient, text_of

from mlxk_runtime.prompt_cache import GROUP_DISABLED_REASON
from mlxk_runtime.sharding import pipeline_layers

# The fixture models a 2-rank group can split by tensor parallelism (the 4-bit one cannot, see below).
SHARDED = ("tiny-llama-spm", "tiny-qwen2-bpe", "tiny-qwen2-think")
# Every event field that does not depend on timing or on the request id.
COMPARED = (
    "event",
    "text",
    "channel",
    "logprobs",
    "finish_reason",
    "stop",
    "usage",
    "prompt_tokens",
    "max_tokens",
    "requested_max_tokens",
    "clamped",
    "context_length",
    "reasoning",
    "error",
)


def comparable(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [{k: v for k, v in e.items() if k in COMPARED} for e in events]
    for e in out:
        if "usage" in e:
            # A group has no prompt cache (runtime-protocol §3.6) and one process may: compare what was generated.
            e["usage"] = {k: v for k, v in e["usage"].items() if k != "cached_tokens"}
    return out


def generate(client: WorkerClient, timeout: float = 60, **params: Any) -> list[dict[str, Any]]:
    events = client.events(client.send("generate", **params), timeout=timeout)
    assert events[-1]["event"] == "done", events[-1]
    return events


def session_processes(sid: int) -> list[int]:
    """Live (non-zombie) processes of session `sid`: the launcher was started in its own session."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def rank_pids(client: WorkerClient) -> list[int]:
    return [r["pid"] for r in client.hello["topology"]["ranks"]]


def assert_group_gone(client: WorkerClient, within: float) -> None:
    """The launcher, every rank and anything else the group started are gone within `within` seconds."""
    pids = rank_pids(client)
    deadline = time.time() + within
    while time.time() < deadline:
        if client.proc.poll() is not None and not any(map(pid_alive, pids)) and not session_processes(client.proc.pid):
            return
        time.sleep(0.1)
    left = {"launcher": client.proc.poll(), "ranks": [p for p in pids if pid_alive(p)]}
    left["session"] = session_processes(client.proc.pid)
    raise AssertionError(f"group processes still running after {within}s: {left}\n{''.join(client.stderr_lines)}")


def stop_group(client: WorkerClient) -> None:
    """Teardown: shutdown if it is still up, else kill whatever is left of its session."""
    try:
        if not client.eof.is_set():
            client.events(client.send("shutdown"), timeout=20)
        client.proc.wait(timeout=20)
    except Exception:  # noqa: BLE001 - teardown of a group a test already broke
        try:
            os.killpg(client.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    finally:
        client.close()


def start_group(**kwargs: Any) -> WorkerClient:
    client = WorkerClient(ranks=2, **kwargs)
    topology = client.hello.get("topology")
    assert topology is not None and topology["world_size"] == 2, client.hello
    return client


@pytest.fixture(scope="module")
def group() -> Iterator[WorkerClient]:
    """One 2-rank group for the module, with the tensor-parallel fixture models loaded under their names."""
    client = start_group()
    try:
        for name in SHARDED:
            loaded = client.call("load", model_path=str(MODELS_DIR / name), model_id=name)
            assert loaded["event"] == "loaded", loaded
            assert loaded["prompt_cache"] == {"max_bytes": 0, "disabled_reason": GROUP_DISABLED_REASON}
        yield client
    finally:
        stop_group(client)


_solo: dict[tuple[str, int], list[dict[str, Any]]] = {}


def solo(client: WorkerClient, name: str, index: int) -> list[dict[str, Any]]:
    """The greedy answer to a fixture case, generated alone on the group (cached per module group)."""
    key = (name, index)
    if key not in _solo:
        messages = EXPECTED[name]["cases"][index]["messages"]
        _solo[key] = comparable(generate(client, model_id=name, messages=messages, max_tokens=64))
    return _solo[key]


def assert_expected_text(events: list[dict[str, Any]], name: str, index: int) -> None:
    case = EXPECTED[name]["cases"][index]
    if EXPECTED[name]["is_reasoning"]:
        assert text_of(events, "reasoning") == case["reasoning"]
        assert text_of(events, "content") == case["content"]
    else:
        assert text_of(events) == case["text"]
    done = events[-1]
    assert done["finish_reason"] == "stop" and done["stop"]["type"] == "eos"


def assert_group_usable(client: WorkerClient, name: str) -> None:
    """After a failed request the group still answers, and still generates what it generated before."""
    assert client.call("ping")["event"] == "pong"
    messages = EXPECTED[name]["cases"][0]["messages"]
    assert comparable(generate(client, model_id=name, messages=messages, max_tokens=64)) == solo(client, name, 0)


# 1. Topology


def test_hello_and_info_report_the_topology(group: WorkerClient) -> None:
    topology = group.hello["topology"]
    assert topology["backend"] == "ring" and topology["world_size"] == 2
    ranks = topology["ranks"]
    assert [r["rank"] for r in ranks] == [0, 1]
    pids = rank_pids(group)
    assert len(set(pids)) == 2 and group.proc.pid not in pids
    # Rank 0 is the process that talks to the client; both are alive and belong to the launcher's group.
    assert pids[0] == group.hello["pid"]
    assert all(isinstance(r["host"], str) and r["host"] for r in ranks)
    assert all(map(pid_alive, pids))
    assert set(pids) <= set(session_processes(group.proc.pid))
    info = group.call("info")
    assert info["event"] == "info" and info["topology"] == topology


# 2. Tensor parallelism


@pytest.mark.parametrize("name", SHARDED)
def test_tensor_parallel_greedy_equals_single_process(group: WorkerClient, worker: WorkerClient, name: str) -> None:
    loaded = group.call("load", model_path=str(MODELS_DIR / name), model_id=name)
    assert loaded["event"] == "loaded" and loaded["already_loaded"] is True
    assert loaded["sharding"]["mode"] == "tensor" and loaded["sharding"]["world_size"] == 2
    num_layers = loaded["sharding"]["num_layers"]
    assert num_layers > 0 and loaded["sharding"]["layers"] == [[0, num_layers]] * 2
    single = worker.call("load", model_path=str(MODELS_DIR / name), model_id=name)
    assert "sharding" not in single
    for key in ("eos_token_ids", "context_length", "is_reasoning", "model_type"):
        assert loaded[key] == single[key]
    for index, case in enumerate(EXPECTED[name]["cases"]):
        sharded = solo(group, name, index)
        reference = comparable(generate(worker, model_id=name, messages=case["messages"], max_tokens=64))
        assert sharded == reference, (name, index)
        assert_expected_text(sharded, name, index)
    # A budget cut: finish_reason length, the same prefix.
    params = dict(model_id=name, messages=EXPECTED[name]["cases"][0]["messages"], max_tokens=3)
    short = comparable(generate(group, **params))
    assert short == comparable(generate(worker, **params))
    assert short[-1]["finish_reason"] == "length" and short[-1]["usage"]["completion_tokens"] == 3


# 3. Batching


@pytest.mark.parametrize("name", ["tiny-qwen2-bpe", "tiny-llama-spm"])
def test_concurrent_greedy_generations_equal_their_solo_output(group: WorkerClient, name: str) -> None:
    cases = range(len(EXPECTED[name]["cases"]))
    expected = {i: solo(group, name, i) for i in cases}
    before = len(group.all_events)
    ids = {
        i: group.send("generate", model_id=name, messages=EXPECTED[name]["cases"][i]["messages"], max_tokens=64)
        for i in cases
    }
    for i, rid in ids.items():
        events = group.events(rid)
        assert comparable(events) == expected[i], (name, i)
    # They ran together (batched), not one after another: their token streams interleave.
    order = [e["id"] for e in group.all_events[before:] if e.get("event") == "token"]
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches > len(ids), order


# 4. Sampling


def test_seeded_sampling_equals_single_process(group: WorkerClient, worker: WorkerClient) -> None:
    params = dict(model_id="tiny-qwen2-bpe", prompt="I am", max_tokens=24, temperature=0.8, seed=7)
    sampled = comparable(generate(group, **params))
    assert sampled == comparable(generate(worker, **params))
    assert sampled == comparable(generate(group, **params))
    greedy = comparable(generate(worker, **{**params, "temperature": 0}))
    assert sampled != greedy, "temperature 0.8 should change this answer"


def test_unseeded_sampling_keeps_the_ranks_in_step(group: WorkerClient) -> None:
    # Ranks sample from their own random state; a rank that picked another token would desynchronise the group.
    params = dict(model_id="tiny-qwen2-bpe", prompt="I am", max_tokens=24, temperature=1.5)
    ids = [group.send("generate", **params) for _ in range(3)]
    for rid in ids:
        assert group.events(rid)[-1]["event"] == "done"
    assert group.call("ping")["event"] == "pong"
    assert not group.eof.is_set()


# 6. A model that cannot be split


def test_unshardable_model_is_a_typed_error_and_the_group_stays_usable(group: WorkerClient) -> None:
    name = "tiny-qwen2-bpe-4bit"
    error = group.call("load", model_path=str(MODELS_DIR / name), model_id=name)
    assert error["event"] == "error", error
    payload = error["error"]
    assert payload["type"] == "unshardable_model"
    assert payload["world_size"] == 2 and payload["sharding"] == "auto" and payload["model_type"] == "qwen2"
    # Both ways out are named: the quantized matrices do not split in two, and there is no index for a pipeline.
    assert "tensor parallel over 2 ranks fails" in payload["message"]
    assert "group size" in payload["message"]
    assert "model.safetensors.index.json" in payload["message"]
    missing = group.events(group.send("generate", model_id=name, prompt="hi"))[-1]
    assert missing["error"]["type"] == "model_not_loaded"
    assert_group_usable(group, "tiny-llama-spm")


# 7. Per-rank model paths


def test_a_rank_that_cannot_load_fails_the_load_on_every_rank(group: WorkerClient, tmp_path: Path) -> None:
    good = str(MODELS_DIR / "tiny-llama-spm")
    missing = str(tmp_path / "not-there")
    error = group.call("load", model_path=good, model_id="asym-1", rank_model_paths=[good, missing])
    assert error["event"] == "error" and error["error"]["type"] == "model_load_failed", error
    assert "1 of 2 ranks" in error["error"]["message"]
    # Rank 0's own failure is reported as itself.
    error = group.call("load", model_path=good, model_id="asym-0", rank_model_paths=[missing, good])
    assert error["event"] == "error" and error["error"]["type"] == "model_load_failed", error
    assert "not a directory" in error["error"]["message"]
    for model_id in ("asym-0", "asym-1"):
        missing_model = group.events(group.send("generate", model_id=model_id, prompt="hi"))[-1]
        assert missing_model["error"]["type"] == "model_not_loaded"
    assert_group_usable(group, "tiny-qwen2-bpe")
    # Both ranks pointing at a good copy loads.
    loaded = group.call("load", model_path=good, model_id="per-rank", rank_model_paths=[good, good])
    assert loaded["event"] == "loaded" and loaded["sharding"]["mode"] == "tensor", loaded
    assert group.call("unload", model_id="per-rank")["event"] == "unloaded"


def test_repeating_a_load_with_rank_model_paths_is_already_loaded(group: WorkerClient, tmp_path: Path) -> None:
    copy = tmp_path / "tiny-llama-copy"
    shutil.copytree(MODELS_DIR / "tiny-llama-spm", copy)
    request = dict(model_path=str(MODELS_DIR / "tiny-llama-spm"), model_id="mapped", rank_model_paths=[str(copy)] * 2)
    try:
        first = group.call("load", **request)
        assert first["event"] == "loaded" and first["already_loaded"] is False, first
        again = group.call("load", **request)
        assert again["event"] == "loaded" and again["already_loaded"] is True, again
    finally:
        group.call("unload", model_id="mapped")


@pytest.mark.parametrize("paths", [["one"], ["a", "b", "c"], "a,b", [1, 2], {}])
def test_rank_model_paths_must_list_one_path_per_rank(group: WorkerClient, paths: Any) -> None:
    good = str(MODELS_DIR / "tiny-llama-spm")
    error = group.call("load", model_path=good, model_id="bad-paths", rank_model_paths=paths)
    assert error["event"] == "error" and error["error"]["type"] == "bad_request", error
    assert "rank_model_paths" in error["error"]["message"]
    assert group.call("ping")["event"] == "pong"


# 5. Pipeline parallelism


def test_pipeline_parallel_greedy_equals_single_process(worker: WorkerClient, tmp_path: Path) -> None:
    import mlx.core as mx

    name = "tiny-qwen2-bpe"
    model_dir = tmp_path / name
    shutil.copytree(MODELS_DIR / name, model_dir)
    names = sorted(mx.load(str(model_dir / "model.safetensors")))
    index = {"metadata": {}, "weight_map": dict.fromkeys(names, "model.safetensors")}
    (model_dir / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    client = start_group(worker_args=("--sharding", "pipeline"))
    try:
        loaded = client.call("load", model_path=str(model_dir), model_id=name)
        assert loaded["event"] == "loaded", loaded
        sharding = loaded["sharding"]
        assert sharding["mode"] == "pipeline" and sharding["world_size"] == 2
        # Rank 0 runs the last layers: two layers split [[1, 2], [0, 1]].
        assert sharding["num_layers"] == 2
        assert sharding["layers"] == pipeline_layers(2, 2) == [[1, 2], [0, 1]]
        for i, case in enumerate(EXPECTED[name]["cases"]):
            piped = comparable(generate(client, model_id=name, messages=case["messages"], max_tokens=64))
            assert piped == comparable(generate(worker, model_id=name, messages=case["messages"], max_tokens=64)), i
            assert_expected_text(piped, name, i)
        # The original directory has no index: pipeline-only grouping cannot load it, and says why.
        error = client.call("load", model_path=str(MODELS_DIR / name), model_id="no-index")
        assert error["event"] == "error" and error["error"]["type"] == "unshardable_model", error
        assert error["error"]["sharding"] == "pipeline"
        assert "model.safetensors.index.json" in error["error"]["message"]
        assert "tensor parallel" not in error["error"]["message"]
    finally:
        stop_group(client)


# 8. A rank lost mid-generation


def test_a_lost_rank_ends_the_whole_group() -> None:
    name = "tiny-llama-spm"
    client = start_group(env={"MLXK_RUNTIME_STEP_DELAY_S": "0.05"})
    try:
        assert client.call("load", model_path=str(MODELS_DIR / name), model_id=name)["event"] == "loaded"
        # EOS banned: the answer runs for all 200 tokens unless something stops it.
        no_eos = {str(t): -100 for t in EXPECTED[name]["eos_token_ids"]}
        rid = client.send(
            "generate",
            model_id=name,
            messages=EXPECTED[name]["cases"][0]["messages"],
            max_tokens=200,
            logit_bias=no_eos,
        )
        assert client.next_event(rid)["event"] == "start"
        assert client.next_event(rid)["event"] == "token"
        killed_at = time.time()
        os.kill(rank_pids(client)[1], signal.SIGKILL)
        events = client.events(rid, timeout=15)
        assert events[-1]["event"] == "__eof__", events[-1]
        assert client.eof.is_set() and time.time() - killed_at < 10
        assert not any(e["event"] in ("done", "error") for e in events)
        assert len([e for e in events if e["event"] == "token"]) < 190
        assert_group_gone(client, within=5)
    finally:
        stop_group(client)


# 9. Shutdown


def test_shutdown_ends_the_launcher_and_every_rank(group: WorkerClient) -> None:
    # The module's group, with its models loaded and its work done; keep this the last test that uses `group`.
    assert group.call("shutdown")["event"] == "bye"
    assert group.proc.wait(timeout=20) == 0
    assert group.eof.wait(5)
    assert_group_gone(group, within=5)
