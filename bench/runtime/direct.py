"""mlx-lm called directly, the peer: TTFT and tokens/s with the same definitions the worker reports."""

import json
import sys
import time

from mlx_lm import load, stream_generate
from mlx_lm.sample_utils import make_sampler


def main(model_path: str, prompt: str, max_tokens: int, runs: int) -> None:
    model, tokenizer = load(model_path)
    sampler = make_sampler(temp=0.0)
    results = []
    for run in range(runs + 1):
        start = time.perf_counter()
        first = None
        count = 0
        for response in stream_generate(model, tokenizer, prompt, max_tokens=max_tokens, sampler=sampler):
            count += 1
            # The first visible text, as a client of the worker sees it.
            if first is None and response.text:
                first = time.perf_counter()
        end = time.perf_counter()
        if run == 0:
            continue  # warm-up
        tps = (count - 1) / (end - first) if count > 1 and end > first else 0.0
        results.append({"ttft_s": first - start, "tokens": count, "tokens_per_s": tps})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
