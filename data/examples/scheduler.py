"""A tiny job scheduler: priority insertion, round-robin queues, dependency checks."""

from __future__ import annotations


def round_robin(jobs: dict[str, list[str]]) -> list[str]:
    """Interleave the jobs of each worker: one step of each in turn until all are done."""
    queue = list(jobs.items())
    order = []
    while queue:
        worker, steps = queue.pop(0)
        if steps:
            order.append(f"{worker}:{steps[0]}")
            queue.append((worker, steps[1:]))
    return order


def urgent_first(tasks: list[tuple[str, bool]]) -> list[str]:
    """Urgent tasks are pushed to the front (latest urgent first), others queued."""
    pending = []
    for name, urgent in tasks:
        if urgent:
            pending.insert(0, name)
        else:
            pending.append(name)
    out = []
    while pending:
        out.append(pending.pop(0))
    return out


def missing_dependencies(deps: dict[str, list[str]], available: list[str]) -> list[str]:
    """Dependencies (sorted, unique) not among the available jobs."""
    missing = []
    for job in sorted(deps):
        for dep in deps[job]:
            if dep not in available and dep not in missing:
                missing.append(dep)
    return sorted(missing)


def has_cycle_edge(deps: dict[str, list[str]]) -> bool:
    """Whether some job depends directly on itself."""
    cyclic = False
    for job in deps:
        if job in deps[job]:
            cyclic = True
    return cyclic


def describe(order: list[str]) -> str:
    text = ""
    for step in order:
        text += step + " -> "
    return text + "done"
