"""Warehouse inventory helpers: merging supplier feeds, finding unknown SKUs, restocking.

Written the way inventory scripts often start out: lists everywhere, membership tests
inside loops, and a report built with string concatenation.
"""

from __future__ import annotations


def merge_feeds(feeds: list[list[str]]) -> list[str]:
    """All SKUs of all supplier feeds, first occurrence order, without duplicates."""
    merged = []
    for feed in feeds:
        for sku in feed:
            if sku not in merged:
                merged.append(sku)
    return merged


def unknown_skus(orders: list[str], catalog: list[str]) -> list[str]:
    """SKUs ordered that the catalog does not list (each order line reported)."""
    missing = []
    for sku in orders:
        if sku not in catalog:
            missing.append(sku)
    return missing


def in_stock(stock: dict[str, int], wanted: list[str]) -> list[str]:
    """The wanted SKUs that have a stock entry with at least one unit."""
    found = []
    for sku in wanted:
        if sku in list(stock.keys()) and stock[sku] > 0:
            found.append(sku)
    return found


def restock_plan(stock: dict[str, int], minimum: int) -> dict[str, int]:
    """How many units to order per SKU to bring each up to ``minimum``."""
    plan = {}
    for sku, qty in sorted(stock.items()):
        if qty < minimum:
            plan[sku] = minimum - qty
    return plan


def restock_report(plan: dict[str, int]) -> str:
    """A plain-text purchase order, one line per SKU, then a total line."""
    report = ""
    total = 0
    for sku, qty in plan.items():
        report += f"{sku:<12}{qty:>6}\n"
        total += qty
    report += f"{'TOTAL':<12}{total:>6}\n"
    return report
