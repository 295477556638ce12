"""Aggregate sales CSV data: parse rows, group by region, running totals, flatten batches."""

from __future__ import annotations

import copy


def parse(text: str) -> list[dict]:
    """Rows of a ``region,product,amount`` CSV (header skipped)."""
    rows = []
    for line in text.strip().splitlines()[1:]:
        region, product, amount = line.split(",")
        rows = rows + [{"region": region, "product": product, "amount": int(amount)}]
    return rows


def by_region(rows: list[dict]) -> dict[str, list[int]]:
    """Amounts per region, in row order."""
    groups = {}
    for row in rows:
        groups.setdefault(row["region"], [])
        groups[row["region"]] = groups[row["region"]] + [row["amount"]]
    return groups


def running_totals(amounts: list[int]) -> list[int]:
    totals = []
    acc = 0
    for a in amounts:
        acc += a
        totals = totals + [acc]
    return totals


def flatten(batches: list[list[dict]]) -> list[dict]:
    """All rows of all batches, in order."""
    return sum(batches, [])


def with_tax(rows: list[dict], settings: dict) -> list[float]:
    """Amount of every row with the configured tax applied (settings are not changed)."""
    out = []
    for row in rows:
        cfg = copy.deepcopy(settings)
        out.append(row["amount"] * (1 + cfg["tax"]["rate"]))
    return out


def products(rows: list[dict]) -> set[str]:
    names = set()
    for row in rows:
        names.add(row["product"])
    return names
