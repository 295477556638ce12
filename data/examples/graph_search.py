"""Graph searches on adjacency dicts: BFS order, shortest hop counts, components."""

from __future__ import annotations


def bfs_order(graph: dict[str, list[str]], start: str) -> list[str]:
    """Nodes in breadth-first order from ``start``."""
    queue = [start]
    seen = {start}
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for nxt in graph.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


def hops(graph: dict[str, list[str]], start: str) -> dict[str, int]:
    """Fewest edges from ``start`` to every reachable node."""
    dist = {start: 0}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for nxt in graph.get(node, []):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                frontier.append(nxt)
    return dist


def components(graph: dict[str, list[str]]) -> list[list[str]]:
    """Connected components (edges taken as undirected), each sorted, in order of their
    smallest node."""
    undirected: dict[str, set[str]] = {}
    for a, nbrs in graph.items():
        undirected.setdefault(a, set())
        for b in nbrs:
            undirected[a].add(b)
            undirected.setdefault(b, set()).add(a)
    visited = []
    result = []
    for node in sorted(undirected):
        if node in visited:
            continue
        comp = bfs_order({k: sorted(v) for k, v in undirected.items()}, node)
        visited.extend(comp)
        result.append(sorted(comp))
    return result


def reachable(graph: dict[str, list[str]], start: str, goal: str) -> bool:
    """Whether ``goal`` can be reached from ``start``."""
    found = False
    for node in bfs_order(graph, start):
        if node == goal:
            found = True
    return found
