import pytest

from inventory import in_stock, merge_feeds, restock_plan, restock_report, unknown_skus


def test_merge_feeds_keeps_first_seen_order():
    feeds = [["B2", "A1", "B2"], ["C3", "A1"], [], ["D4", "C3", "E5"]]
    assert merge_feeds(feeds) == ["B2", "A1", "C3", "D4", "E5"]


def test_merge_feeds_empty():
    assert merge_feeds([]) == []
    assert merge_feeds([[], []]) == []


def test_unknown_skus_reports_each_order_line():
    catalog = ["A1", "B2", "C3"]
    assert unknown_skus(["A1", "Z9", "Z9", "C3", "Y8"], catalog) == ["Z9", "Z9", "Y8"]
    assert unknown_skus([], catalog) == []
    assert unknown_skus(["A1"], []) == ["A1"]


def test_unknown_skus_does_not_modify_inputs():
    orders, catalog = ["A1", "Q"], ["A1"]
    unknown_skus(orders, catalog)
    assert orders == ["A1", "Q"] and catalog == ["A1"]


def test_in_stock():
    stock = {"A1": 3, "B2": 0, "C3": 1}
    assert in_stock(stock, ["C3", "B2", "Z9", "A1", "A1"]) == ["C3", "A1", "A1"]
    assert in_stock({}, ["A1"]) == []


def test_restock_plan_and_report():
    plan = restock_plan({"B2": 1, "A1": 9, "C3": 0}, minimum=5)
    assert plan == {"B2": 4, "C3": 5}
    assert list(plan) == ["B2", "C3"]
    assert restock_report(plan) == (
        "B2               4\n"
        "C3               5\n"
        "TOTAL            9\n"
    )


def test_restock_report_empty():
    assert restock_report({}) == "TOTAL            0\n"


@pytest.mark.parametrize("n", [1, 50])
def test_merge_feeds_many(n):
    feeds = [[f"S{i % 7}" for i in range(n)] for _ in range(3)]
    assert merge_feeds(feeds) == [f"S{i}" for i in range(min(n, 7))]
