from scheduler import describe, has_cycle_edge, missing_dependencies, round_robin, urgent_first


def test_round_robin():
    jobs = {"w1": ["a", "b", "c"], "w2": ["x"], "w3": []}
    assert round_robin(jobs) == ["w1:a", "w2:x", "w1:b", "w1:c"]
    assert round_robin({}) == []


def test_urgent_first():
    tasks = [("t1", False), ("t2", True), ("t3", False), ("t4", True)]
    assert urgent_first(tasks) == ["t4", "t2", "t1", "t3"]
    assert urgent_first([]) == []


def test_missing_dependencies():
    deps = {"b": ["x", "a"], "a": ["y", "x"], "c": []}
    assert missing_dependencies(deps, ["a", "b", "c"]) == ["x", "y"]
    assert missing_dependencies({}, []) == []


def test_has_cycle_edge():
    assert has_cycle_edge({"a": ["b"], "b": ["b"]})
    assert not has_cycle_edge({"a": ["b"], "b": []})


def test_describe():
    assert describe(["a", "b"]) == "a -> b -> done"
    assert describe([]) == "done"
