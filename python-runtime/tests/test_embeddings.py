"""The `embed` op on the tiny embedding models: kinds, pooling, normalisation, truncation, batching, Matryoshka."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import MODELS_DIR
from worker_client import WorkerClient

EMBEDDERS: dict[str, Any] = json.loads((MODELS_DIR / "expected-embeddings.json").read_text(encoding="utf-8"))
BERT, QWEN = "tiny-bert-embed", "tiny-qwen3-embed"


@pytest.fixture(scope="module")
def embedder() -> Iterator[WorkerClient]:
    client = WorkerClient()
    for name in (*EMBEDDERS, "tiny-qwen2-bpe"):
        assert client.call("load", model_path=str(MODELS_DIR / name), model_id=name)["event"] == "loaded"
    yield client
    client.close()


def vectors(client: WorkerClient, model: str, texts: list[str], **params: Any) -> tuple[np.ndarray, dict[str, Any]]:
    event = client.call("embed", model_id=model, input=texts, **params)
    assert event["event"] == "embeddings", event
    data = np.frombuffer(base64.b64decode(event["data"]), dtype="<f4").reshape(event["count"], event["dimensions"])
    return data, event


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("name", sorted(EMBEDDERS))
def test_load_reports_the_kind_and_how_it_pools(embedder: WorkerClient, name: str) -> None:
    loaded = embedder.call("load", model_path=str(MODELS_DIR / name), model_id=name)
    want = EMBEDDERS[name]
    assert loaded["kind"] == "embedding" and loaded["already_loaded"] is True
    assert loaded["embedding"] == {
        "family": want["family"],
        "pooling": want["pooling"],
        "normalize": want["normalize"],
        "max_length": want["max_length"],
        "matryoshka": want["matryoshka"],
        "dimensions": want["dimensions"],
    }
    assert loaded["context_length"] == want["max_length"]


def test_a_chat_model_loads_as_generation(embedder: WorkerClient) -> None:
    assert embedder.call("load", model_path=str(MODELS_DIR / "tiny-qwen2-bpe"), model_id="tiny-qwen2-bpe")["kind"] == (
        "generation"
    )


@pytest.mark.parametrize("name", sorted(EMBEDDERS))
def test_identical_texts_give_identical_vectors(embedder: WorkerClient, name: str) -> None:
    batch, _ = vectors(embedder, name, ["The cat sleeps on the mat.", "Other text.", "The cat sleeps on the mat."])
    alone, _ = vectors(embedder, name, ["The cat sleeps on the mat."])
    assert cosine(batch[0], batch[2]) == pytest.approx(1.0, abs=1e-6)
    assert cosine(batch[0], alone[0]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", sorted(EMBEDDERS))
def test_a_batch_equals_one_by_one(embedder: WorkerClient, name: str) -> None:
    texts = [t for group in EMBEDDERS[name]["topics"] for t in group][:9] + ["a", "word " * 40]
    batch, event = vectors(embedder, name, texts)
    for i, text in enumerate(texts):
        alone, single = vectors(embedder, name, [text])
        np.testing.assert_allclose(batch[i], alone[0], atol=1e-5)
        assert single["token_counts"] == [event["token_counts"][i]]
    assert event["usage"]["prompt_tokens"] == sum(event["token_counts"])


def test_unit_norm_only_when_the_model_normalises(embedder: WorkerClient) -> None:
    qwen, _ = vectors(embedder, QWEN, ["The cat sleeps on the mat.", "Markets crashed this morning."])
    np.testing.assert_allclose(np.linalg.norm(qwen, axis=1), 1.0, atol=1e-5)
    bert, _ = vectors(embedder, BERT, ["The cat sleeps on the mat.", "Markets crashed this morning."])
    assert all(abs(float(n) - 1.0) > 1e-3 for n in np.linalg.norm(bert, axis=1))


@pytest.mark.parametrize("name", sorted(EMBEDDERS))
def test_a_paraphrase_ranks_above_an_unrelated_sentence(embedder: WorkerClient, name: str) -> None:
    topics = EMBEDDERS[name]["topics"]
    for group, other in zip(topics, topics[1:] + topics[:1], strict=True):
        v, _ = vectors(embedder, name, [group[0], group[1], other[0]])
        assert cosine(v[0], v[1]) > cosine(v[0], v[2]), (group, other)


@pytest.mark.parametrize("name", sorted(EMBEDDERS))
def test_long_inputs_are_cut_to_the_model_length(embedder: WorkerClient, name: str) -> None:
    limit = EMBEDDERS[name]["max_length"]
    long = "the cat sleeps " * limit
    v, event = vectors(embedder, name, ["short", long, long + "and then much more text"])
    assert event["token_counts"][1] == limit and event["truncated"] == [1, 2]
    np.testing.assert_allclose(v[1], v[2], atol=1e-6)


def test_matryoshka_truncates_then_renormalises(embedder: WorkerClient) -> None:
    full, _ = vectors(embedder, QWEN, ["Heavy showers outdoors right now."])
    short, event = vectors(embedder, QWEN, ["Heavy showers outdoors right now."], dimensions=16)
    assert event["dimensions"] == 16 and short.shape == (1, 16)
    np.testing.assert_allclose(short[0], full[0][:16] / np.linalg.norm(full[0][:16]), atol=1e-6)


def test_dimensions_are_refused_where_the_model_cannot_shorten(embedder: WorkerClient) -> None:
    refused = embedder.call("embed", model_id=BERT, input=["x"], dimensions=16)
    assert refused["error"]["type"] == "bad_request" and "Matryoshka" in refused["error"]["message"]
    too_big = embedder.call("embed", model_id=QWEN, input=["x"], dimensions=65)
    assert too_big["error"]["type"] == "bad_request"
    same, _ = vectors(embedder, BERT, ["x"], dimensions=64)
    assert same.shape == (1, 64)


def test_the_wrong_kind_of_model_is_named(embedder: WorkerClient) -> None:
    chat = embedder.call("embed", model_id="tiny-qwen2-bpe", input=["hello"])
    assert chat["error"]["type"] == "wrong_model_kind" and chat["error"]["model_kind"] == "generation"
    emb = embedder.call("generate", model_id=QWEN, prompt="hello", max_tokens=2)
    assert emb["error"]["type"] == "wrong_model_kind" and emb["error"]["model_kind"] == "embedding"
    assert "embedding model" in emb["error"]["message"]


@pytest.mark.parametrize("bad", [[], "text", [1, 2], None])
def test_input_must_be_a_list_of_strings(embedder: WorkerClient, bad: Any) -> None:
    assert embedder.call("embed", model_id=QWEN, input=bad)["error"]["type"] == "bad_request"


def test_cls_pooling_and_a_folder_without_sentence_transformers_files(embedder: WorkerClient, tmp_path: Path) -> None:
    import mlx.core as mx

    from mlxk_runtime.embeddings import load_embedding_model, pad_batch

    cls_dir = tmp_path / "cls"
    shutil.copytree(MODELS_DIR / BERT, cls_dir)
    pooling = json.loads((cls_dir / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (cls_dir / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    assert embedder.call("load", model_path=str(cls_dir), model_id="cls")["embedding"]["pooling"] == "cls"
    got, _ = vectors(embedder, "cls", ["Her violin playing is lovely."])
    model = load_embedding_model(str(cls_dir), "cls", {"bert"})
    ids = model.tokenizer.encode("Her violin playing is lovely.").ids
    hidden = model.forward(*pad_batch([ids], 0)[:2])
    np.testing.assert_allclose(got[0], np.array(hidden[0, 0].astype(mx.float32)), atol=1e-5)

    bare = tmp_path / "bare"
    shutil.copytree(
        MODELS_DIR / BERT,
        bare,
        ignore=shutil.ignore_patterns("modules.json", "1_Pooling", "sentence_bert_config.json", "config_sentence_*"),
    )
    loaded = embedder.call("load", model_path=str(bare), model_id="bare")
    assert loaded["kind"] == "embedding" and loaded["embedding"]["pooling"] == "mean"


def test_decoder_weights_with_the_causal_lm_prefix_load_the_same(embedder: WorkerClient, tmp_path: Path) -> None:
    import mlx.core as mx

    prefixed = tmp_path / "prefixed"
    shutil.copytree(MODELS_DIR / QWEN, prefixed)
    weights = mx.load(str(prefixed / "model.safetensors"))
    mx.save_safetensors(str(prefixed / "model.safetensors"), {f"model.{k}": v for k, v in weights.items()})
    assert embedder.call("load", model_path=str(prefixed), model_id="prefixed")["kind"] == "embedding"
    a, _ = vectors(embedder, QWEN, ["Coding with the Python language."])
    b, _ = vectors(embedder, "prefixed", ["Coding with the Python language."])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_model_that_asks_for_its_own_code_is_refused(embedder: WorkerClient, tmp_path: Path) -> None:
    unsafe = tmp_path / "unsafe"
    shutil.copytree(MODELS_DIR / BERT, unsafe)
    config = json.loads((unsafe / "config.json").read_text())
    (unsafe / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "modeling.Bert"}}))
    assert embedder.call("load", model_path=str(unsafe), model_id="unsafe")["error"]["type"] == "unsafe_model"
