"""VX102 nested-loop-pair-search: two nested loops that look for items of one collection
equal to items of another (or of the same one) do O(n*m) comparisons.

Fires on an ``==`` test inside the inner loop whose one side reads only the outer loop's
variables and whose other side reads only the inner loop's, when the inner loop does
not walk something reached through the outer item (``for y in x.children``). Index
identity checks (``if i == j`` over two ``range`` loops) do not count.

Bad::

    for order in orders:
        for customer in customers:
            if order.customer_id == customer.id:       # O(len(orders) * len(customers))
                pairs.append((order, customer))

Good::

    by_id = {customer.id: customer for customer in customers}
    for order in orders:
        customer = by_id.get(order.customer_id)         # O(1)
        if customer is not None:
            pairs.append((order, customer))
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import builtin_call, loop_iter, loop_targets
from core.analysis.detectors.base import Detector


class NestedLoopPairSearch(Detector):
    id = "VX102"
    name = "nested-loop-pair-search"
    action_type = "data_structure_optimization"
    severity = "high"
    title = "nested loops search for matching pairs (O(n*m) comparisons)"
    fix = "index one collection in a dict/set keyed by the compared value, then look up each item of the other"
    node_types = (ast.Compare,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Compare)
        loops = ctx.loops
        if len(loops) < 2 or len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq):
            return
        parent = ctx.parent
        test_of_if = isinstance(parent, ast.If) and parent.test is node
        in_comp_filter = isinstance(parent, ast.comprehension) and node in parent.ifs
        if not (test_of_if or in_comp_filter):
            return
        if test_of_if and all(isinstance(s, ast.Continue | ast.Pass) for s in parent.body):  # type: ignore[union-attr]
            return
        inner, outer = loops[-1], loops[-2]
        inner_vars, outer_vars = loop_targets(inner), loop_targets(outer)
        if not inner_vars or not outer_vars:
            return
        # names computed inside a loop belong to it: ``n = len(suffix)`` is per inner item
        inner_stores = facts.loop_facts(inner, ctx).stores
        inner_vars |= inner_stores
        outer_vars |= facts.loop_facts(outer, ctx).stores - inner_stores
        inner_iter = loop_iter(inner)
        if inner_iter is None or loop_iter(outer) is None:
            return
        both_range = builtin_call(inner_iter, ctx, "range") and builtin_call(
            loop_iter(outer), ctx, "range"  # type: ignore[arg-type]
        )
        if not builtin_call(inner_iter, ctx, "range") and facts.names_in(inner_iter) & outer_vars:
            return  # the inner loop walks something reached through the outer item
        left, right = facts.names_in(node.left), facts.names_in(node.comparators[0])
        joined = (
            left & outer_vars and not left & inner_vars and right & inner_vars and not right & outer_vars
        ) or (
            left & inner_vars and not left & outer_vars and right & outer_vars and not right & inner_vars
        )
        if not joined:
            return
        if both_range and isinstance(node.left, ast.Name) and isinstance(node.comparators[0], ast.Name):
            return  # i == j: index identity, not a search
        ctx.report(self, node)
