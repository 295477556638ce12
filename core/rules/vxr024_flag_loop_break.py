"""VXR024 - stop a search loop as soon as its flag is set.

``found = False; for x in xs: if cond(x): found = True`` keeps testing every remaining
item after the answer is known. Once the flag is set nothing else in the loop can change
it back or do anything else, so a ``break`` right after setting it returns the same answer,
on average after half the work (and at once when the match is early).

Fires when a flag is assigned a constant, the next statement mentioning it is a ``for``
loop without ``else`` whose body is exactly one ``if`` without ``else``, and that ``if``'s
body is exactly ``flag = <constant>``; the condition must not mention the flag, the loop
variables must not be read after the loop, and the iterable must not be used after the
loop (an iterator would be left unconsumed). The candidate is marked for verification
unless the condition only compares names and constants with ``==``/``!=``/``is``:
anything else might have raised, or had effects, on the items no longer visited.

Bad::

    def has_negative(values: list[int]) -> bool:
        found = False
        for v in values:
            if v < 0:
                found = True
        return found

Good::

    def has_negative(values: list[int]) -> bool:
        found = False
        for v in values:
            if v < 0:
                found = True
                break
        return found
"""

from __future__ import annotations

import libcst as cst

from core.rules import cstutil as u
from core.rules.base import FunctionUnit, ModuleContext, Rewrite, Rule

_CONSTS = (cst.Integer, cst.Float, cst.SimpleString)


class FlagLoopBreak(Rule):
    id = "VXR024"
    name = "flag_loop_break"
    action_type = "short_circuit_evaluation"
    detector_ids = ()
    description = "Break out of a search loop once its result flag is set."
    reasoning = (
        "After the flag is set the remaining iterations cannot change the result; "
        "breaking out skips them (on average half the loop)."
    )

    def rewrite_unit(self, ctx: ModuleContext, unit: FunctionUnit) -> Rewrite | None:
        edits: dict[cst.CSTNode, u.Edit] = {}
        why: list[str] = []
        names: list[str] = []
        for func, body, i, _s0, flag, value in u.init_sites(ctx, unit.node):
            if not _constant(value):
                continue
            loop = u.first_mention_after(ctx, body, i, flag)
            found = self._match(ctx, func, body, loop, flag)
            if found is None:
                continue
            branch, cond, lazy = found
            if not _safe_condition(cond):
                why.append("the condition is no longer evaluated on the remaining items")
            if lazy:
                why.append("the iterable may run code for the items no longer visited")
            edits[branch] = _add_break
            names.append(flag)
        return u.finish(unit.node, edits, f"break once {', '.join(names)} is set", why)

    def _match(self, ctx, func, body, loop, flag):  # type: ignore[no-untyped-def]
        if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
            return None
        inner = u.block_body(loop.body)
        if inner is None or len(inner) != 1 or not isinstance(inner[0], cst.If):
            return None
        branch = inner[0]
        if branch.orelse is not None or u.var_names(ctx, branch.test, flag):
            return None
        if isinstance(branch.body, cst.IndentedBlock):
            lines = branch.body.body
            if len(lines) != 1 or not isinstance(lines[0], cst.SimpleStatementLine):
                return None
            smalls = list(lines[0].body)
        else:
            smalls = list(branch.body.body)
        if len(smalls) != 1 or not isinstance(smalls[0], cst.Assign):
            return None
        asg = smalls[0]
        if len(asg.targets) != 1 or not u.is_name(asg.targets[0].target, flag):
            return None
        if not _constant(asg.value):
            return None
        if not u.dead_outside(ctx, func, [loop], sorted(u.target_names(loop.target))):
            return None
        lazy = False
        if isinstance(loop.iter, cst.Name):
            order = u.preorder_index(func)
            if any(
                order[o] > order[loop] and not u.contains(loop, o)
                for o in u.var_names(ctx, func.body, loop.iter.value)
            ):
                return None  # an iterator read after the loop would see the skipped items
        elif not (
            isinstance(loop.iter, cst.Call)
            and u.called_name(loop.iter) in u.PURE_BUILTINS
            and not u.unknown_calls(ctx, loop.iter)
        ):
            lazy = True
        return branch, branch.test, lazy


def _constant(e: cst.BaseExpression) -> bool:
    return isinstance(e, _CONSTS) or (
        isinstance(e, cst.Name) and e.value in ("True", "False", "None")
    )


def _safe_condition(e: cst.BaseExpression) -> bool:
    if isinstance(e, cst.Name) or _constant(e):
        return True
    if isinstance(e, cst.Comparison):
        return _safe_condition(e.left) and all(
            isinstance(c.operator, cst.Equal | cst.NotEqual | cst.Is | cst.IsNot)
            and _safe_condition(c.comparator)
            for c in e.comparisons
        )
    if isinstance(e, cst.BooleanOperation):
        return _safe_condition(e.left) and _safe_condition(e.right)
    if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
        return _safe_condition(e.expression)
    return False


def _add_break(branch: cst.If) -> cst.If:
    body = branch.body
    if isinstance(body, cst.IndentedBlock):
        return branch.with_changes(
            body=body.with_changes(
                body=[*body.body, cst.SimpleStatementLine(body=[cst.Break()])]
            )
        )
    assert isinstance(body, cst.SimpleStatementSuite)
    return branch.with_changes(body=body.with_changes(body=[*body.body, cst.Break()]))
