"""VX109 list-pop-front-in-loop: ``lst.pop(0)``, ``lst.insert(0, x)`` and ``del lst[0]``
move every other item of the list: O(n) each, O(n^2) in a loop (a FIFO queue on a list).

Fires inside loops when ``lst`` is a list the function builds itself.

Bad::

    queue = [start]
    while queue:
        node = queue.pop(0)
        queue.extend(neighbours(node))

Good::

    from collections import deque

    queue = deque([start])
    while queue:
        node = queue.popleft()
        queue.extend(neighbours(node))
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector


class ListPopFrontInLoop(Detector):
    id = "VX109"
    name = "list-pop-front-in-loop"
    action_type = "specialized_collections"
    severity = "medium"
    title = "items removed from/added at the front of a list inside a loop (O(n) each)"
    fix = "use collections.deque and popleft()/appendleft() (O(1))"
    node_types = (ast.Call, ast.Delete)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        if isinstance(node, ast.Call):
            func = node.func
            if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
                return
            if func.attr == "pop" and len(node.args) == 1 and facts.const_int(node.args[0]) == 0:
                op = "pop(0)"
            elif (
                func.attr == "insert"
                and len(node.args) == 2
                and facts.const_int(node.args[0]) == 0
            ):
                op = "insert(0, ...)"
            else:
                return
            name = func.value.id
        else:
            assert isinstance(node, ast.Delete)
            if len(node.targets) != 1:
                return
            target = node.targets[0]
            if not (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and facts.const_int(target.slice) == 0
            ):
                return
            name, op = target.value.id, "del [0]"
        if facts.is_local_list(name, ctx):
            ctx.report(self, node, title=f"{op} on list {name!r} inside a loop (O(n) each time)")
