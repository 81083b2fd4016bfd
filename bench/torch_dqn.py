"""PyTorch reference for bench/nn.bench.mjs: the same DQN train step, single-threaded.

Prints one JSON object per network: {"net": ..., "train_step_us": ..., "forward1_us": ...}.
"""
import json
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)

NETS = {"paper": (256, [128, 64, 32], 64), "big": (128, [256, 256], 64)}
BATCH = 64
GAMMA = 0.99


def mlp(inp, hidden, out):
    layers, d = [], inp
    for h in hidden:
        layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
        d = h
    layers.append(torch.nn.Linear(d, out))
    return torch.nn.Sequential(*layers)


def bench(name, steps, warmup):
    inp, hidden, out = NETS[name]
    online, target = mlp(inp, hidden, out), mlp(inp, hidden, out)
    opt = torch.optim.Adam(online.parameters(), lr=1e-3)
    s, s2 = torch.rand(BATCH, inp), torch.rand(BATCH, inp)
    a = torch.arange(BATCH) % out
    r, done = torch.rand(BATCH), torch.zeros(BATCH)

    def step():
        with torch.no_grad():
            y = r + GAMMA * (1 - done) * target(s2).max(1).values
        q = online(s).gather(1, a.unsqueeze(1)).squeeze(1)
        loss = torch.nn.functional.smooth_l1_loss(q, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    train_us = (time.perf_counter() - t0) / steps * 1e6

    x1 = torch.rand(1, inp)
    with torch.no_grad():
        for _ in range(200):
            online(x1)
        t0 = time.perf_counter()
        n = 2000
        for _ in range(n):
            online(x1).argmax().item()
        fwd_us = (time.perf_counter() - t0) / n * 1e6
    return {"net": name, "train_step_us": train_us, "forward1_us": fwd_us}


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    for name in NETS:
        print(json.dumps(bench(name, steps, 50)), flush=True)
