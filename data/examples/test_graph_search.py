from graph_search import bfs_order, components, hops, reachable

G = {
    "a": ["b", "c"],
    "b": ["d"],
    "c": ["d", "e"],
    "d": ["f"],
    "e": [],
    "f": ["a"],
    "x": ["y"],
}


def test_bfs_order():
    assert bfs_order(G, "a") == ["a", "b", "c", "d", "e", "f"]
    assert bfs_order(G, "e") == ["e"]
    assert bfs_order({}, "q") == ["q"]


def test_hops():
    assert hops(G, "a") == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 2, "f": 3}
    assert hops(G, "x") == {"x": 0, "y": 1}


def test_components():
    assert components(G) == [["a", "b", "c", "d", "e", "f"], ["x", "y"]]
    assert components({}) == []


def test_reachable():
    assert reachable(G, "a", "f")
    assert not reachable(G, "a", "x")
    assert reachable(G, "x", "x")


def test_long_chain():
    chain = {str(i): [str(i + 1)] for i in range(200)}
    assert bfs_order(chain, "0")[-1] == "200"
    assert hops(chain, "0")["200"] == 200
