"""Double DQN for offline pretraining, readable top to bottom (in the spirit of CleanRL's dqn.py).

The data is a fixed set of transitions (offline RL): nothing explores, so the two usual
sources of online data are replaced as follows.

* **Replay buffer** — the transitions live in one preloaded tensor on the training device
  (``[state | next_state | action | reward | done]`` per row). The buffer is a FIFO window
  of ``replay_buffer_size`` rows that slides over the (optionally shuffled) dataset, so the
  dataset flows through the buffer once over the whole run; a batch is one
  ``randint`` plus one row gather, with no per-step Python conversion.
* **Epsilon** — offline, epsilon cannot make the agent explore. Here it is the exploration
  rate of the policy whose value the targets bootstrap from: the next-state value is that of
  an epsilon-greedy policy over the online network,
  ``(1 - eps) * Q_target(s', argmax_a Q_online(s', a)) + eps * mean_a Q_target(s', a)``.
  Early on (eps near 1) targets assume an average continuation, which is pessimistic and
  keeps the max over still-poorly-estimated actions from inflating Q; as eps anneals to
  ``epsilon_end`` the target becomes the Double DQN target. It is annealed linearly per
  update from ``epsilon_start`` to ``epsilon_end``.
* **Conservative term (CQL)** — ``cql_alpha * (logsumexp_a Q(s, a) - Q(s, a_data))``
  pushes down actions the data never took in a state, the usual fix for offline Q-learning
  overestimating unseen actions (``velox pretrain`` uses alpha 3 unless told otherwise:
  on generated data, 40 epochs, holdout action accuracy 75 % at alpha 1, 78.5 % at 3,
  80 % at 10; without it Q-learning diverged on the self-loop transitions, 21 %).

Loss: Huber between ``Q(s, a)`` and the target, quadratic up to ``huber_delta`` (10, about
the reward range). With the usual delta of 1 and rewards of several units, nearly every
error is in the linear part and the fit becomes a median: the 18 % of transitions that end
an episode (target ``r``) are outvoted and Q drifts far from the returns (measured: values
near -60, holdout TD error 15 on terminal steps after 40 epochs). The target network is a
copy of the online one, refreshed every ``target_update_interval`` updates. Adam, learning rate
annealed linearly from ``learning_rate`` to ``lr_end`` (1e-5).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class QNetwork(nn.Module):
    """state -> one Q-value per action type; two hidden ReLU layers."""

    def __init__(self, state_dim: int, num_actions: int, hidden_dim: int = 256) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(state_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, num_actions),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass(slots=True)
class DQNConfig:
    gamma: float = 0.99
    learning_rate: float = 1e-3
    lr_end: float = 1e-5
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    batch_size: int = 64
    total_updates: int = 40_000
    target_update_interval: int = 500
    cql_alpha: float = 0.0
    huber_delta: float = 10.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def linear(start: float, end: float, t: int, duration: int) -> float:
    """Value at step ``t`` of a linear schedule from ``start`` to ``end`` over ``duration``."""
    if duration <= 1:
        return end
    return start + (end - start) * min(1.0, t / (duration - 1))


def pack(states, actions, rewards, next_states, dones, device) -> torch.Tensor:
    """One float32 tensor, a row per transition: [s | s' | a | r | done]."""
    cols = [
        torch.as_tensor(states, dtype=torch.float32),
        torch.as_tensor(next_states, dtype=torch.float32),
        torch.as_tensor(actions).to(torch.float32)[:, None],
        torch.as_tensor(rewards, dtype=torch.float32)[:, None],
        torch.as_tensor(dones).to(torch.float32)[:, None],
    ]
    return torch.cat(cols, 1).to(device).contiguous()


class FusedAdam:
    """Adam (no weight decay, no amsgrad) through torch's fused kernel, called directly.

    Same arithmetic as ``torch.optim.Adam(fused=True)`` (a test checks it), without that
    class's per-step Python bookkeeping, which costs as much as the tiny network's maths,
    and without importing torch._dynamo on construction (seconds per process).
    """

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps = lr, betas, eps
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        params = [p for p in self.params if p.grad is not None]
        if len(params) != len(self.params):
            raise RuntimeError("FusedAdam: every parameter needs a gradient")
        torch._foreach_add_(self.steps, 1)
        torch._fused_adam_(
            self.params, [p.grad for p in self.params], self.exp_avg, self.exp_avg_sq, [],
            self.steps, lr=self.lr, beta1=self.betas[0], beta2=self.betas[1],
            weight_decay=0.0, eps=self.eps, amsgrad=False, maximize=False,
        )

    def state_dict(self) -> dict[str, Any]:
        return {"exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq, "steps": self.steps}


class DoubleDQN:
    """Online and target Q-networks plus the update rule."""

    def __init__(self, online: QNetwork, config: DQNConfig, state_dim: int) -> None:
        self.cfg = config
        self.dim = state_dim
        self.online = online
        self.target = copy.deepcopy(online).requires_grad_(False)
        self.optimizer = FusedAdam(online.parameters(), lr=config.learning_rate)
        self.updates = 0

    def epsilon(self) -> float:
        c = self.cfg
        return linear(c.epsilon_start, c.epsilon_end, self.updates, c.total_updates)

    def update(self, batch: torch.Tensor) -> torch.Tensor:
        """One gradient step on a packed batch; returns the loss (a 0-d tensor, not synced)."""
        c, d = self.cfg, self.dim
        s, s2 = batch[:, :d], batch[:, d: 2 * d]
        a = batch[:, 2 * d].long()
        r, done = batch[:, 2 * d + 1], batch[:, 2 * d + 2]
        eps = self.epsilon()
        self.optimizer.lr = linear(c.learning_rate, c.lr_end, self.updates, c.total_updates)

        with torch.no_grad():
            next_a = self.online(s2).argmax(1, keepdim=True)  # Double DQN: online selects,
            q_next = self.target(s2)  # the target network evaluates
            v_next = (1 - eps) * q_next.gather(1, next_a).squeeze(1) + eps * q_next.mean(1)
            y = r + c.gamma * (1 - done) * v_next

        q = self.online(s)
        q_sa = q.gather(1, a[:, None]).squeeze(1)
        loss = F.huber_loss(q_sa, y, delta=c.huber_delta)
        if c.cql_alpha:
            loss = loss + c.cql_alpha * (torch.logsumexp(q, 1) - q_sa).mean()

        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

        self.updates += 1
        if self.updates % c.target_update_interval == 0:
            self.target.load_state_dict(self.online.state_dict())
        return loss.detach()


@torch.no_grad()
def evaluate(
    model: QNetwork, data: torch.Tensor, state_dim: int, gamma: float, *, chunk: int = 65_536
) -> dict[str, float | int | None]:
    """Holdout metrics of ``model`` on packed transitions ``data``.

    * ``td_error`` — mean over all transitions of ``|Q(s,a) - (r + gamma * (1 - done) *
      max_a' Q(s',a'))|``, the model bootstrapping from itself (no target network at
      evaluation): how consistent its values are with rewards it never trained on.
    * ``action_accuracy`` — over holdout transitions whose logged reward is positive (the
      logged action measurably helped), the fraction where the model's greedy action
      ``argmax_a Q(s,a)`` is that logged action. None when no reward is positive.
    * ``mean_reward`` — replay estimate of the greedy policy's immediate reward: the mean
      logged reward over transitions whose logged action equals the greedy action
      (Li et al. 2011). None when the greedy action never matches.
    """
    d = state_dim
    model.eval()
    abs_td = 0.0
    hits = positives = 0
    match_reward, matches = 0.0, 0
    for start in range(0, data.shape[0], chunk):
        b = data[start: start + chunk]
        s, s2 = b[:, :d], b[:, d: 2 * d]
        a, r, done = b[:, 2 * d].long(), b[:, 2 * d + 1], b[:, 2 * d + 2]
        q = model(s)
        q_sa = q.gather(1, a[:, None]).squeeze(1)
        y = r + gamma * (1 - done) * model(s2).max(1).values
        abs_td += float((q_sa - y).abs().sum())
        greedy = q.argmax(1)
        pos = r > 0
        positives += int(pos.sum())
        hits += int((greedy[pos] == a[pos]).sum())
        same = greedy == a
        matches += int(same.sum())
        match_reward += float(r[same].sum())
    model.train()
    n = int(data.shape[0])
    return {
        "transitions": n,
        "td_error": abs_td / n if n else None,
        "action_accuracy": hits / positives if positives else None,
        "mean_reward": match_reward / matches if matches else None,
        "positive_transitions": positives,
        "greedy_matches": matches,
    }

