"""The baseline of the embeddings bench: the same model called directly in Python through the runtime's embedding
library (tokenise, batch, forward, pool), with no server and no IPC. Loads the model, embeds the texts once to warm
up, prints `ready`, then embeds them once per line read on stdin and prints that round's seconds.

usage: direct.py MODEL_DIR TEXTS_JSON
"""

import json
import sys
import time

from mlxk_runtime.embeddings import EmbedParams, embed, load_embedding_model
from mlxk_runtime.model_loading import supported_model_types


def main() -> None:
    model_dir, texts_file = sys.argv[1], sys.argv[2]
    texts = json.loads(open(texts_file, encoding="utf-8").read())
    model = load_embedding_model(model_dir, "bench", set(supported_model_types()))
    params = EmbedParams("bench", texts, None)
    embed(model, params)
    print("ready", flush=True)
    for _ in sys.stdin:
        started = time.perf_counter()
        embed(model, params)
        print(time.perf_counter() - started, flush=True)


if __name__ == "__main__":
    main()
