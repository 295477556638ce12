"""A game leaderboard: ranking players, podium, best and worst scores."""

from __future__ import annotations


def rank_players(players: list[dict]) -> list[dict]:
    """Sort the players in place by score, highest first (ties keep their order) and
    return the same list."""
    n = len(players)
    for i in range(n):
        for j in range(0, n - i - 1):
            if players[j]["score"] < players[j + 1]["score"]:
                players[j], players[j + 1] = players[j + 1], players[j]
    return players


def podium(scores: dict[str, int]) -> list[tuple[str, int]]:
    """The three best (name, score) pairs, ties in insertion order."""
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:3]


def best_score(scores: list[int]) -> int:
    """The highest score."""
    best = scores[0]
    for s in scores:
        if s > best:
            best = s
    return best


def worst_player(scores: dict[str, int]) -> str:
    """The name with the lowest score (the first such name)."""
    return sorted(scores, key=lambda name: scores[name])[0]


def above_average(scores: list[int]) -> list[int]:
    """Scores strictly above the mean, in order."""
    return [s for s in scores if s * len(scores) > sum(scores)]
