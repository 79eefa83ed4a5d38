#!/usr/bin/python3
"""PyTorch CPU baseline for the training benchmark: 784-512-512-512-10 with the hard sigmoid
(ReLU clipped to [0, 2]), Adam, batch 200, one thread, on random data. Prints JSON."""
import json
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)
N, B = 2000, 200
x = torch.rand(N, 784)
y = torch.randint(0, 10, (N,))


class HardSigmoid(torch.nn.Module):
    def forward(self, v):
        return torch.clamp(v, 0.0, 2.0)


model = torch.nn.Sequential(
    torch.nn.Linear(784, 512), HardSigmoid(), torch.nn.Linear(512, 512), HardSigmoid(),
    torch.nn.Linear(512, 512), HardSigmoid(), torch.nn.Linear(512, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def epoch():
    perm = torch.randperm(N)
    for i in range(0, N, B):
        idx = perm[i:i + B]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        with torch.no_grad():
            for p in model.parameters():
                p.clamp_(-1, 1)


epoch()  # warm-up
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    epoch()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"name": "torch_train_mlp", "samples_per_second": N / best, "torch": torch.__version__}))
