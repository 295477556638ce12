"""Build plain-text and CSV reports from order rows (dicts with name, qty, price)."""

from __future__ import annotations


def line_totals(rows: list[dict]) -> list[float]:
    """qty * price of every row."""
    totals = []
    for row in rows:
        totals.append(row["qty"] * row["price"])
    return totals


def grand_total(rows: list[dict]) -> float:
    """Sum of all line totals."""
    total = 0.0
    for i in range(len(rows)):
        total += rows[i]["qty"] * rows[i]["price"]
    return total


def to_csv(rows: list[dict]) -> str:
    """CSV with a header and one line per row."""
    out = "name,qty,price\n"
    for row in rows:
        out = out + row["name"] + "," + str(row["qty"]) + "," + f"{row['price']:.2f}" + "\n"
    return out


def text_report(rows: list[dict], title: str) -> str:
    """A boxed text report with numbered lines."""
    body = ""
    for i in range(len(rows)):
        body += f"{i + 1:>3}. {rows[i]['name']:<10} {rows[i]['qty']:>4} x {rows[i]['price']:>8.2f}\n"
    rule = "-" * 34 + "\n"
    return title + "\n" + rule + body + rule + f"{'total':>24} {grand_total(rows):>9.2f}\n"


def names_by_qty(rows: list[dict]) -> dict[str, int]:
    """Map name -> qty (later rows win)."""
    index = {}
    for row in rows:
        index[row["name"]] = row["qty"]
    return index
