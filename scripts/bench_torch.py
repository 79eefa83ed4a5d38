#!/usr/bin/python3
"""PyTorch CPU baseline for the format benchmarks: fake quantization of 1M float32 values.
Run with Debian's /usr/bin/python3 (python3-torch). Prints one JSON object per line."""
import json
import time

import torch

torch.set_num_threads(1)
N = 1 << 20
g = torch.Generator().manual_seed(1)
x = torch.randn(N, generator=g, dtype=torch.float32)


def best_of(fn, runs=15):
    fn()
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


cases = {
    # int8 affine fake quantization, scale 0.05, zero point 0: QuantLab's int:b=8,scale=0.05
    "int:b=8,scale=0.05": lambda: torch.fake_quantize_per_tensor_affine(x, 0.05, 0, -128, 127),
    # float casts (quantize then restore): float:e=5,m=10 and float:e=8,m=7
    "float:e=5,m=10": lambda: x.to(torch.float16).to(torch.float32),
    "float:e=8,m=7": lambda: x.to(torch.bfloat16).to(torch.float32),
}
for spec, fn in cases.items():
    seconds = best_of(fn)
    print(json.dumps({"name": "torch/" + spec, "values_per_second": N / seconds, "torch": torch.__version__}))
