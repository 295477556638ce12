from report_builder import grand_total, line_totals, names_by_qty, text_report, to_csv

ROWS = [
    {"name": "widget", "qty": 3, "price": 2.5},
    {"name": "gadget", "qty": 1, "price": 10.0},
    {"name": "widget", "qty": 2, "price": 2.5},
]


def test_line_totals():
    assert line_totals(ROWS) == [7.5, 10.0, 5.0]
    assert line_totals([]) == []


def test_grand_total():
    assert grand_total(ROWS) == 22.5
    assert grand_total([]) == 0.0
    assert isinstance(grand_total([]), float)


def test_to_csv():
    assert to_csv(ROWS) == (
        "name,qty,price\nwidget,3,2.50\ngadget,1,10.00\nwidget,2,2.50\n"
    )
    assert to_csv([]) == "name,qty,price\n"


def test_text_report():
    report = text_report(ROWS, "Orders")
    lines = report.splitlines()
    assert lines[0] == "Orders"
    assert lines[2] == "  1. widget        3 x     2.50"
    assert lines[4] == "  3. widget        2 x     2.50"
    assert lines[-1] == "                   total     22.50"
    assert len(lines) == 7


def test_names_by_qty_later_rows_win():
    assert names_by_qty(ROWS) == {"widget": 2, "gadget": 1}
    assert list(names_by_qty(ROWS)) == ["widget", "gadget"]
