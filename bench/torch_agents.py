"""PyTorch reference for bench/agents.bench.mjs: the same agent updates as src/attackers, in PyTorch.

Usage: torch_agents.py '{"obs":1805,"actions":1211,"batch":64,"pg_rows":256,"steps":200,
                         "threads":1,"nets":{"paper":[128,64,32],"wide":[128,256,256,64]}}'
Prints one JSON object per figure: {"net", "figure", "us", "threads"}.

Figures (each matches the TypeScript side):
  dqn_train_step : Double DQN target (online + target forward on s'), masked argmax over the next
                   mask, semi-MDP discount gamma**elapsed, Huber loss on Q(s,a), backward,
                   global grad-norm clip 10, Adam lr 1e-3; batch sampled from a replay buffer.
  act1           : one observation: forward, masked argmax, .item().
  pg_update      : masked softmax policy loss with advantages against a value net + entropy bonus,
                   value MSE, two backward passes and two Adam steps, on pg_rows decisions.
  *_obs5pct      : dqn_train_step / pg_update again with observations `density` nonzero (when given).
"""
import json
import sys
import time

import torch


def mlp(inp, hidden, out):
    layers, d = [], inp
    for h in hidden:
        layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
        d = h
    layers.append(torch.nn.Linear(d, out))
    return torch.nn.Sequential(*layers)


def timeit(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t0) / steps * 1e6


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(0)
    S, A, B, N = cfg["obs"], cfg["actions"], cfg["batch"], cfg["pg_rows"]
    steps = int(cfg["steps"])
    g = torch.Generator().manual_seed(1)
    buf = 2048
    rs = torch.rand(buf, S, generator=g)
    rs2 = torch.rand(buf, S, generator=g)
    rmask = torch.rand(buf, A, generator=g) < 0.3
    rmask[:, 0] = True
    ra = torch.randint(0, A, (buf,), generator=g)
    rr = torch.rand(buf, generator=g)
    rel = torch.rand(buf, generator=g) * 5
    rdone = (torch.rand(buf, generator=g) < 0.05).float()
    density = cfg.get("density")
    dense_obs = (rs, rs2)
    sparse_obs = None
    if density is not None:
        sparse_obs = tuple(torch.rand(buf, S, generator=g) * (torch.rand(buf, S, generator=g) < density).float() for _ in range(2))
    for name, hidden in cfg["nets"].items():
        rs, rs2 = dense_obs
        online, target = mlp(S, hidden, A), mlp(S, hidden, A)
        target.load_state_dict(online.state_dict())
        opt = torch.optim.Adam(online.parameters(), lr=1e-3)

        def dqn_step():
            idx = torch.randint(0, buf, (B,))
            s, s2, m2 = rs[idx], rs2[idx], rmask[idx]
            with torch.no_grad():
                a2 = online(s2).masked_fill(~m2, float("-inf")).argmax(1, keepdim=True)
                boot = target(s2).gather(1, a2).squeeze(1)
                y = rr[idx] + torch.pow(0.95, rel[idx]) * (1 - rdone[idx]) * boot
            q = online(s).gather(1, ra[idx].unsqueeze(1)).squeeze(1)
            loss = torch.nn.functional.smooth_l1_loss(q, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(online.parameters(), 10.0)
            opt.step()
            return loss.item()

        us = timeit(dqn_step, steps, 20)
        print(json.dumps({"net": name, "figure": "dqn_train_step", "us": us, "threads": cfg["threads"]}), flush=True)
        if sparse_obs is not None:
            rs, rs2 = sparse_obs
            us = timeit(dqn_step, steps, 20)
            print(json.dumps({"net": name, "figure": "dqn_train_step_obs5pct", "us": us, "threads": cfg["threads"]}), flush=True)
            rs, rs2 = dense_obs

        x1, m1 = rs[:1], rmask[:1]

        def act1():
            with torch.no_grad():
                return online(x1).masked_fill(~m1, float("-inf")).argmax(1).item()

        us = timeit(act1, steps * 5, 50)
        print(json.dumps({"net": name, "figure": "act1", "us": us, "threads": cfg["threads"]}), flush=True)

        policy, value = mlp(S, hidden, A), mlp(S, hidden, 1)
        popt = torch.optim.Adam(policy.parameters(), lr=1e-3)
        vopt = torch.optim.Adam(value.parameters(), lr=1e-3)
        X, M = rs[:N], rmask[:N]
        X_sparse = sparse_obs[0][:N] if sparse_obs is not None else None
        act = torch.multinomial(M.float(), 1, generator=g).squeeze(1)
        G = rr[:N]

        def pg_update():
            with torch.no_grad():
                adv = G - value(X).squeeze(1)
                adv = (adv - adv.mean()) / (adv.std(unbiased=False) + 1e-8)
            logits = policy(X).masked_fill(~M, float("-inf"))
            logp = torch.log_softmax(logits, 1)
            p = logp.exp()
            ent = -(p * logp.masked_fill(~M, 0.0)).sum(1)
            loss = (-adv * logp.gather(1, act.unsqueeze(1)).squeeze(1) - 0.01 * ent).mean()
            popt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            popt.step()
            vloss = 0.5 * ((value(X).squeeze(1) - G) ** 2).mean()
            vopt.zero_grad(set_to_none=True)
            vloss.backward()
            torch.nn.utils.clip_grad_norm_(value.parameters(), 1.0)
            vopt.step()
            return loss.item()

        us = timeit(pg_update, max(10, steps // 4), 5)
        print(json.dumps({"net": name, "figure": "pg_update", "us": us, "threads": cfg["threads"]}), flush=True)
        if X_sparse is not None:
            X = X_sparse
            us = timeit(pg_update, max(10, steps // 4), 5)
            print(json.dumps({"net": name, "figure": "pg_update_obs5pct", "us": us, "threads": cfg["threads"]}), flush=True)


if __name__ == "__main__":
    main()
