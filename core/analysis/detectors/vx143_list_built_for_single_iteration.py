"""VX143 list-built-for-single-iteration: a list comprehension stored in a local that is
then used exactly once, as the iterable of one loop or the argument of a reducing
builtin, holds every item in memory at once for nothing.

Fires when the local is bound only there, read exactly once, that read is a loop's
iterable or the sole argument of ``sum``/``any``/``all``/``min``/``max``/``set``/
``sorted``/``tuple`` (not ``str.join``, which is faster on a list) in the very next
statement (so no other effects run in between when the items are made lazily), it does not sit in a loop the assignment is not in, and
the consuming loop does not change what the comprehension reads.

Bad::

    sizes = [os.path.getsize(p) for p in paths]
    total = sum(sizes)

Good::

    total = sum(os.path.getsize(p) for p in paths)
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import block_position, builtin_call, method_call
from core.analysis.detectors.base import Detector

_REDUCERS = ("sum", "any", "all", "min", "max", "set", "sorted", "tuple", "frozenset")
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.comprehension)


class ListBuiltForSingleIteration(Detector):
    id = "VX143"
    name = "list-built-for-single-iteration"
    action_type = "generator_conversion"
    severity = "low"
    title = "list materialised only to be iterated once"
    fix = "use a generator expression (parentheses instead of brackets) or inline it"
    node_types = (ast.Assign,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Assign)
        if ctx.scope.kind != "function" or not isinstance(node.value, ast.ListComp):
            return
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        name = node.targets[0].id
        sf = facts.scope_facts(ctx.scope)
        if len(sf.bindings.get(name, [])) != 1 or len(sf.loads.get(name, [])) != 1:
            return
        use = sf.loads[name][0]
        path = _path_to(ctx.scope.node, use)
        if path is None or len(path) < 2:
            return
        parent = path[-2]
        consumer: ast.AST | None = None
        if isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension) and parent.iter is use:
            consumer = parent
        elif isinstance(parent, ast.Call) and len(parent.args) == 1 and parent.args[0] is use:
            if not builtin_call(parent, ctx, *_REDUCERS):
                return  # str.join() builds a list from a generator anyway: a list is faster
        else:
            return
        if any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) for n in path[1:-1]):
            return  # read in a closure: may run many times
        position = block_position(ctx, node)
        if position is None or position[1] + 1 >= len(position[0]):
            return
        following = position[0][position[1] + 1]
        if not any(n is following for n in path):
            return  # other statements run in between: building lazily would reorder effects
        assignment_loops = {id(n) for n in ctx.stack if isinstance(n, _LOOPS)}
        for n in path[:-1]:
            if isinstance(n, _LOOPS) and id(n) not in assignment_loops and n is not consumer:
                if isinstance(n, ast.comprehension) and n is consumer:
                    continue
                return  # read inside a loop the list is not rebuilt in: iterated many times
        if isinstance(consumer, ast.For | ast.AsyncFor):
            read = facts.names_in(node.value)
            changed: set[str] = set()
            for sub in ast.walk(consumer):
                if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                    changed.add(sub.id)
                elif isinstance(sub, ast.Call):
                    receiver = method_call(sub)
                    if receiver and isinstance(receiver[0], ast.Name):
                        changed.add(receiver[0].id)
                elif isinstance(sub, ast.Subscript | ast.Attribute) and not isinstance(sub.ctx, ast.Load):
                    root = facts.root_name(sub)
                    if root:
                        changed.add(root)
            comp_targets = {
                n.id for g in node.value.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
            }
            if (read - comp_targets) & changed:
                return  # the loop changes what the comprehension reads: laziness would differ
        ctx.report(self, node, title=f"list {name!r} materialised only to be iterated once")


def _path_to(root: ast.AST, target: ast.AST) -> list[ast.AST] | None:
    """Nodes from ``root`` down to ``target`` (inclusive), depth first."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(root, [root])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for child in ast.iter_child_nodes(node):
            stack.append((child, [*path, child]))
    return None
