"""Writes a ~100M-parameter qwen2 with random weights, reusing a test model's byte-level BPE tokenizer.

Throughput is measured on it because compute dominates there, as it does for real models; the tiny test models
measure per-token overhead instead.
"""

import json
import shutil
import sys
from pathlib import Path

import mlx.core as mx
from mlx.utils import tree_flatten
from mlx_lm.models.qwen2 import Model, ModelArgs
from tokenizers import Tokenizer


def unstreamable_ids(tokenizer_file: Path) -> list[int]:
    """Tokens that decode to nothing or to a partial UTF-8 sequence on their own.

    Random weights would sample them freely, and no detokenizer can stream such text until it ends, which would
    measure buffering instead of generation.
    """
    tok = Tokenizer.from_file(str(tokenizer_file))
    bad = []
    for i in range(tok.get_vocab_size()):
        text = tok.decode([i], skip_special_tokens=False)
        if not text.strip() or "\ufffd" in text or text.startswith("<|"):
            bad.append(i)
    return bad


def main(src: str, out: str, hidden: int = 1024, layers: int = 8) -> None:
    src_dir, out_dir = Path(src), Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src_dir / name, out_dir / name)
    config = json.loads((src_dir / "config.json").read_text())
    config.update(
        hidden_size=hidden,
        head_dim=hidden // 16,
        intermediate_size=hidden * 11 // 4,
        num_hidden_layers=layers,
        num_attention_heads=16,
        num_key_value_heads=16,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
    )
    mx.random.seed(0)
    model = Model(ModelArgs.from_dict(config))
    mask = mx.ones((model.lm_head.weight.shape[0], 1))
    mask[mx.array(unstreamable_ids(src_dir / "tokenizer.json"))] = 0
    # A zero row gives logit 0, below the maximum of the other random logits: greedy never picks it.
    model.lm_head.weight = model.lm_head.weight * mask
    weights = dict(tree_flatten(model.parameters()))
    mx.eval(weights)
    params = sum(v.size for v in weights.values())
    mx.save_safetensors(str(out_dir / "model.safetensors"), weights, metadata={"format": "mlx"})
    (out_dir / "config.json").write_text(json.dumps(config, indent=2))
    print(json.dumps({"params": params, "path": str(out_dir)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
