"""Benchmark: generation speed, full `velox pretrain` vs a bare-torch Double DQN loop, quality.

Runs, in one process and on the same data:

1. ``generate_dataset`` of ``--samples`` synthetic transitions (goal: 50,000 in <= 5 s);
   an 80/20 train/holdout split written as JSONL like the guide's recipe.
2. ``run_pretrain`` — exactly what ``velox pretrain`` calls, timed end to end: reading the
   JSONL files, training (default flags: 40 epochs x 1000 updates, batch 64, hidden 256,
   shuffle, fresh start), holdout evaluation, atomic save and the summary file.
3. A minimal bare-torch Double DQN loop doing the same updates on tensors already in
   memory: same network, loss (Huber + the same CQL term), epsilon-greedy bootstrap,
   target sync and LR schedule, with ``torch.optim.Adam(fused=True)``; batches by
   ``torch.randint`` index. Printed ratio: full command / bare loop (goal <= 1.1).
   ``--bare-fused`` adds a second bare loop using ml.dqn.FusedAdam, to separate the
   optimizer's share from the rest.

Then holdout quality: action accuracy (definition in ml.dqn.evaluate) next to reference
points on the same holdout: uniform random, the heuristic ranking (strongest findings
column first), the generator's own best action (the ceiling of this metric on this
data), and the model's agreement with that best action on every holdout state.
Prints what it measured; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def split(path: Path, out_dir: Path, seed: int = 42) -> tuple[Path, Path]:
    lines = path.read_bytes().splitlines(keepends=True)
    order = np.random.default_rng(seed).permutation(len(lines))
    cut = int(0.8 * len(lines))
    train, holdout = out_dir / "train.jsonl", out_dir / "holdout.jsonl"
    train.write_bytes(b"".join(lines[i] for i in order[:cut]))
    holdout.write_bytes(b"".join(lines[i] for i in order[cut:]))
    return train, holdout


def bare_loop(train, cfg, *, fused_direct: bool) -> tuple[float, float]:
    """The reference: a Double DQN loop with nothing around it. Returns (wall s, CPU s)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from ml.dqn import FusedAdam

    d, n_actions = train.states.shape[1], 25
    S = torch.as_tensor(train.states)
    S2 = torch.as_tensor(train.next_states)
    A = torch.as_tensor(train.actions)
    R = torch.as_tensor(train.rewards)
    D = torch.as_tensor(train.dones, dtype=torch.float32)
    torch.manual_seed(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)

    def net():
        return nn.Sequential(nn.Linear(d, cfg.hidden_dim), nn.ReLU(),
                             nn.Linear(cfg.hidden_dim, cfg.hidden_dim), nn.ReLU(),
                             nn.Linear(cfg.hidden_dim, n_actions))

    q_net, target = net(), net()
    target.load_state_dict(q_net.state_dict())
    if fused_direct:
        opt = FusedAdam(q_net.parameters(), lr=cfg.learning_rate)
    else:
        opt = torch.optim.Adam(q_net.parameters(), lr=cfg.learning_rate, fused=True)
    total = cfg.epochs * cfg.steps_per_epoch
    n = S.shape[0]
    start, cpu = time.perf_counter(), time.process_time()
    for step in range(total):
        frac = step / (total - 1)
        eps = cfg.epsilon_start + (cfg.epsilon_end - cfg.epsilon_start) * frac
        lr = cfg.learning_rate + (cfg.lr_end - cfg.learning_rate) * frac
        if fused_direct:
            opt.lr = lr
        else:
            opt.param_groups[0]["lr"] = lr
        idx = torch.randint(0, n, (cfg.batch_size,), generator=g)
        s, a, r, s2, done = S[idx], A[idx], R[idx], S2[idx], D[idx]
        with torch.no_grad():
            next_a = q_net(s2).argmax(1, keepdim=True)
            q_next = target(s2)
            v = (1 - eps) * q_next.gather(1, next_a).squeeze(1) + eps * q_next.mean(1)
            y = r + cfg.gamma * (1 - done) * v
        q = q_net(s)
        q_sa = q.gather(1, a[:, None]).squeeze(1)
        loss = (F.huber_loss(q_sa, y, delta=cfg.huber_delta)
                + cfg.cql_alpha * (torch.logsumexp(q, 1) - q_sa).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % cfg.target_update_interval == 0:
            target.load_state_dict(q_net.state_dict())
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--steps-per-epoch", type=int, default=1000)
    ap.add_argument("--bare-fused", action="store_true",
                    help="also time a bare loop with the direct fused Adam")
    ap.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = ap.parse_args()
    if args.keep is None:
        with tempfile.TemporaryDirectory(prefix="velox-bench-") as tmp:
            return run(args, Path(tmp))
    args.keep.mkdir(parents=True, exist_ok=True)
    return run(args, args.keep)


def run(args: argparse.Namespace, work: Path) -> int:
    import torch

    from core.actions import ACTION_INDEX
    from core.settings import load_settings
    from ml.generator import best_actions, generate_dataset
    from ml.policy import heuristic_ranking
    from ml.pretrain import PretrainConfig, load_transitions, run_pretrain

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")

    settings = load_settings(DATABASE_URL=f"sqlite:///{work / 'none.db'}",
                             TRAINING_DATA_PATH=str(work / "training"))
    data = work / "pretrain_transitions.jsonl"
    summary = generate_dataset(data, synthetic_samples=args.samples, seed=42, settings=settings,
                               include_real=False)
    print(f"generate-data: {summary.synthetic_transitions} transitions in {summary.seconds:.2f} s "
          "(goal: 50,000 in <= 5 s)")
    train_path, holdout_path = split(data, work)

    cfg = PretrainConfig(train=train_path, holdout=holdout_path, output=work / "dqn_model.pth",
                         epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, shuffle=True,
                         fresh_start=True)
    t0, c0 = time.perf_counter(), time.process_time()
    result = run_pretrain(cfg, log=lambda _line: None)
    full, full_cpu = time.perf_counter() - t0, time.process_time() - c0
    updates = cfg.epochs * cfg.steps_per_epoch
    print(f"velox pretrain (full path, {updates} updates, batch {cfg.batch_size}, hidden "
          f"{cfg.hidden_dim}, device {result.device}, torch threads {torch.get_num_threads()}): "
          f"{full:.1f} s wall, {full_cpu:.1f} s CPU  [{json.dumps(result.seconds)}]")

    train = load_transitions(train_path, "train")
    bare, bare_cpu = bare_loop(train, cfg, fused_direct=False)
    print(f"bare torch loop (torch.optim.Adam fused): {bare:.1f} s wall, {bare_cpu:.1f} s CPU")
    print(f"ratio full / bare: {full / bare:.2f} wall, {full_cpu / bare_cpu:.2f} CPU (goal <= 1.1; "
          "on a shared machine CPU time is the steadier figure)")
    if args.bare_fused:
        bare2, bare2_cpu = bare_loop(train, cfg, fused_direct=True)
        print(f"bare torch loop (direct fused Adam, as velox): {bare2:.1f} s wall, "
              f"{bare2_cpu:.1f} s CPU; ratio full / this: {full / bare2:.2f} wall, "
              f"{full_cpu / bare2_cpu:.2f} CPU")

    holdout = load_transitions(holdout_path, "holdout")
    ev = result.evaluation
    pos = holdout.rewards > 0
    rng = np.random.default_rng(0)
    random_acc = (rng.integers(0, 25, int(pos.sum())) == holdout.actions[pos]).mean()
    heur = np.array([ACTION_INDEX[heuristic_ranking(s).actions[0]] for s in holdout.states])
    best = best_actions(holdout.states)
    from ml import checkpoint as ckpt

    model = ckpt.build_model(ckpt.load(cfg.output))
    with torch.no_grad():
        greedy = model(torch.as_tensor(holdout.states)).argmax(1).numpy()
    print(f"holdout ({len(holdout)} transitions, {int(pos.sum())} with positive reward):")
    print(f"  mean TD error {ev['td_error']:.3f}, mean reward (replay) {ev['mean_reward']:.2f}")
    print(f"  action accuracy: model {ev['action_accuracy']:.1%} (guide: 68.4%) | random "
          f"{random_acc:.1%} | heuristic {(heur[pos] == holdout.actions[pos]).mean():.1%} | "
          f"generator's best action (ceiling) {(best[pos] == holdout.actions[pos]).mean():.1%}")
    print(f"  model greedy == generator's best action on all holdout states: "
          f"{(greedy == best).mean():.1%} (heuristic {(heur == best).mean():.1%})")
    if args.keep:
        print(f"files in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
