"""Writes a BERT embedder with random weights (default: all-MiniLM-L6-v2's geometry, 384 wide, 6 layers), reusing tiny-bert-embed's WordPiece tokenizer and
sentence-transformers files (mean pooling). Throughput is measured on it because compute dominates there, as it
does for real models; the tiny test models would measure only the per-request overhead.

usage: make_random_encoder.py SRC_TINY_BERT OUT [--hidden 384] [--layers 6]   (768 and 12: BERT-base, ~86M)
"""

import argparse
import json
import shutil
from pathlib import Path

import mlx.core as mx
from mlx.utils import tree_flatten

from mlxk_runtime.encoder import Encoder, EncoderArgs
from mlxk_runtime.testmodels.embedding_build import _hf_bert_name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("src", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--layers", type=int, default=6)
    args = parser.parse_args()
    shutil.copytree(args.src, args.out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.safetensors"))
    config = json.loads((args.src / "config.json").read_text())
    config.update(
        hidden_size=args.hidden,
        num_hidden_layers=args.layers,
        num_attention_heads=args.hidden // 64,
        intermediate_size=args.hidden * 4,
        max_position_embeddings=512,
    )
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    pooling = json.loads((args.src / "1_Pooling" / "config.json").read_text())
    pooling["word_embedding_dimension"] = args.hidden
    (args.out / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2) + "\n")
    (args.out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}) + "\n")
    tok_config = json.loads((args.out / "tokenizer_config.json").read_text())
    tok_config["model_max_length"] = 128
    (args.out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2) + "\n")
    mx.random.seed(0)
    model = Encoder(EncoderArgs.from_config(config))
    weights = {_hf_bert_name(k): v for k, v in tree_flatten(model.parameters())}
    mx.save_safetensors(str(args.out / "model.safetensors"), weights, metadata={"format": "mlx"})
    count = sum(v.size for v in weights.values())
    print(json.dumps({"parameters": count, "dir": str(args.out)}))


if __name__ == "__main__":
    main()
