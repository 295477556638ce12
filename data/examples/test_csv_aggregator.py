import pytest

from csv_aggregator import by_region, flatten, parse, products, running_totals, with_tax

CSV = """region,product,amount
north,apple,10
south,pear,5
north,pear,7
east,apple,1
"""


def test_parse():
    rows = parse(CSV)
    assert rows[0] == {"region": "north", "product": "apple", "amount": 10}
    assert len(rows) == 4
    assert parse("region,product,amount\n") == []


def test_by_region_does_not_alias_lists():
    groups = by_region(parse(CSV))
    assert groups == {"north": [10, 7], "south": [5], "east": [1]}
    assert list(groups) == ["north", "south", "east"]


def test_running_totals():
    assert running_totals([3, 4, -2]) == [3, 7, 5]
    assert running_totals([]) == []


def test_flatten():
    a, b = [{"x": 1}], [{"x": 2}, {"x": 3}]
    assert flatten([a, [], b]) == [{"x": 1}, {"x": 2}, {"x": 3}]
    assert flatten([]) == []
    assert a == [{"x": 1}]


def test_with_tax_leaves_settings_alone():
    settings = {"tax": {"rate": 0.5}, "currency": "EUR"}
    assert with_tax(parse(CSV), settings) == [15.0, 7.5, 10.5, 1.5]
    assert settings == {"tax": {"rate": 0.5}, "currency": "EUR"}
    assert with_tax([], settings) == []


def test_products():
    assert products(parse(CSV)) == {"apple", "pear"}


def test_parse_rejects_bad_rows():
    with pytest.raises(ValueError):
        parse("h\nonly,two\n")
