import pytest

from leaderboard import above_average, best_score, podium, rank_players, worst_player


def test_rank_players_in_place_and_stable():
    players = [
        {"name": "ann", "score": 10},
        {"name": "bob", "score": 30},
        {"name": "cid", "score": 10},
        {"name": "dee", "score": 30},
        {"name": "eve", "score": 20},
    ]
    same = players
    out = rank_players(players)
    assert out is same
    assert [p["name"] for p in players] == ["bob", "dee", "eve", "ann", "cid"]
    assert rank_players([]) == []


def test_podium_ties_in_insertion_order():
    scores = {"ann": 5, "bob": 9, "cid": 9, "dee": 7, "eve": 9}
    assert podium(scores) == [("bob", 9), ("cid", 9), ("eve", 9)]
    assert podium({"x": 1}) == [("x", 1)]
    assert podium({}) == []


def test_best_score():
    assert best_score([3, 9, 2, 9]) == 9
    assert best_score([-5]) == -5
    with pytest.raises(IndexError):
        best_score([])


def test_worst_player_first_of_ties():
    assert worst_player({"ann": 5, "bob": 1, "cid": 1}) == "bob"


def test_above_average():
    assert above_average([1, 2, 3, 10]) == [10]
    assert above_average([4, 4]) == []
    assert above_average([]) == []
