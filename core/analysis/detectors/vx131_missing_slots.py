"""VX131 missing-slots: a plain class whose instances are created in a loop (so there are
many of them) keeps a per-instance ``__dict__``; ``__slots__`` stores the attributes in a
fixed layout, using a fraction of the memory and faster attribute access.

Fires on a module's top-level class with no base class (or only ``object``), no
``__slots__``, an ``__init__`` that sets attributes, no ``__dict__``/``__getattr__``/
``__setattr__`` tricks, no decorator other than ``@dataclass`` without ``slots=True``,
instantiated inside a loop or comprehension in the same module.

Bad::

    class Point:
        def __init__(self, x, y):
            self.x = x
            self.y = y

    points = [Point(x, y) for x, y in pairs]

Good::

    class Point:
        __slots__ = ("x", "y")

        def __init__(self, x, y):
            self.x = x
            self.y = y
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors.base import Detector

_DYNAMIC = frozenset({"__dict__", "__getattr__", "__setattr__", "__getattribute__", "__slots__"})


class MissingSlots(Detector):
    id = "VX131"
    name = "missing-slots"
    action_type = "memory_layout_optimization"
    severity = "low"
    title = "class created in a loop keeps a __dict__ per instance"
    fix = "declare __slots__ with its attributes (or @dataclass(slots=True))"
    node_types = (ast.Call,)
    has_finish = True

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        assert isinstance(node, ast.Call)
        if ctx.in_loop and isinstance(node.func, ast.Name):
            ctx.state.setdefault(self.id, set()).add(node.func.id)

    def finish(self, ctx: AnalysisContext) -> None:
        created = ctx.state.get(self.id)
        if not created:
            return
        for stmt in ctx.tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name in created and _slots_candidate(stmt):
                line_end = ast.Name(id=stmt.name)
                line_end.lineno = line_end.end_lineno = stmt.lineno
                line_end.col_offset = stmt.col_offset
                line_end.end_col_offset = stmt.col_offset + len("class ") + len(stmt.name)
                ctx.report(self, stmt, end=line_end, title=f"class {stmt.name!r} is created in a loop and keeps a __dict__ per instance")


def _slots_candidate(cls: ast.ClassDef) -> bool:
    if cls.keywords or any(not (isinstance(b, ast.Name) and b.id == "object") for b in cls.bases):
        return False
    for dec in cls.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name != "dataclass":
            return False
        if isinstance(dec, ast.Call) and any(k.arg == "slots" for k in dec.keywords):
            return False
    sets_attrs = False
    for item in cls.body:
        if isinstance(item, ast.Assign | ast.AnnAssign):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            if any(isinstance(t, ast.Name) and t.id in _DYNAMIC for t in targets):
                return False
            if cls.decorator_list and isinstance(item, ast.AnnAssign):
                sets_attrs = True
        elif isinstance(item, ast.FunctionDef):
            if item.name in _DYNAMIC:
                return False
            for sub in ast.walk(item):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.ctx, ast.Store)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "self"
                ):
                    if sub.attr == "__dict__":
                        return False
                    if item.name == "__init__":
                        sets_attrs = True
                if isinstance(sub, ast.Name) and sub.id in ("__dict__", "vars", "setattr"):
                    return False
    return sets_attrs
