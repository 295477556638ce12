"""VX141 eager-log-formatting: ``logger.debug(f"...")`` (or ``"..." % x``, ``.format()``)
inside a loop formats the message on every iteration even when the level is disabled.

Fires on ``debug``/``info`` calls of the ``logging`` module or of a logger obtained from
``logging.getLogger`` in this module, inside a loop, when the message is formatted
eagerly.

Bad::

    for item in items:
        log.debug(f"processing {item!r}")

Good::

    for item in items:
        log.debug("processing %r", item)     # formatted only if DEBUG is enabled
"""

from __future__ import annotations

import ast

from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import method_call
from core.analysis.detectors.base import Detector


class EagerLogFormatting(Detector):
    id = "VX141"
    name = "eager-log-formatting"
    action_type = "lazy_evaluation"
    severity = "low"
    title = "log message formatted eagerly inside a loop"
    fix = "pass the format string and the values separately: log.debug('x=%s', x)"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop:
            return
        found = method_call(node, "debug", "info")
        assert isinstance(node, ast.Call)
        if not found or not node.args:
            return
        receiver = found[0]
        if not (
            (isinstance(receiver, ast.Name) and ctx.imports.get(receiver.id) == "logging")
            or _is_logger(receiver, ctx)
        ):
            return
        msg = node.args[0]
        eager = (
            (isinstance(msg, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in msg.values))
            or (isinstance(msg, ast.BinOp) and isinstance(msg.op, ast.Mod) and isinstance(msg.left, ast.Constant))
            or bool(method_call(msg, "format") and isinstance(msg.func.value, ast.Constant))  # type: ignore[attr-defined]
        )
        if eager:
            ctx.report(self, node)


def _is_logger(receiver: ast.expr, ctx: AnalysisContext) -> bool:
    if not isinstance(receiver, ast.Name):
        return False
    loggers = ctx.state.get("vx141-loggers")
    if loggers is None:
        loggers = set()
        for node in ast.walk(ctx.tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)
                and ctx.resolves_to(node.value.func, "logging.getLogger")
            ):
                loggers.add(node.targets[0].id)
        ctx.state["vx141-loggers"] = loggers
    return receiver.id in loggers
