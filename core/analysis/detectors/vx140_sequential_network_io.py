"""VX140 sequential-network-io: HTTP requests made one after another in a ``for`` loop
spend most of their time waiting on the network, one at a time.

Fires on ``requests``/``httpx`` request functions and ``urllib.request.urlopen`` called
inside a ``for`` loop or comprehension with the loop's own item as the URL and the
response used (``while`` loops, which often page through results that depend on the
previous one, are left alone), unless the loop also sleeps (deliberate rate limiting).

Bad::

    pages = []
    for url in urls:
        pages.append(requests.get(url, timeout=10).text)

Good::

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda u: requests.get(u, timeout=10).text, urls))
"""

from __future__ import annotations

import ast

from core.analysis import facts
from core.analysis.context import AnalysisContext
from core.analysis.detectors._helpers import target_names
from core.analysis.detectors.base import Detector

_CALLS = tuple(
    f"{lib}.{verb}"
    for lib in ("requests", "httpx")
    for verb in ("get", "post", "put", "patch", "delete", "head", "request")
) + ("urllib.request.urlopen",)


class SequentialNetworkIO(Detector):
    id = "VX140"
    name = "sequential-network-io"
    action_type = "parallelization"
    severity = "medium"
    title = "network requests made one at a time in a loop"
    fix = "issue them concurrently (ThreadPoolExecutor, or an async client) with a bounded pool"
    node_types = (ast.Call,)

    def check(self, node: ast.AST, ctx: AnalysisContext) -> None:
        if not ctx.in_loop or any(isinstance(lp.node, ast.While) for lp in ctx.loops):
            return
        assert isinstance(node, ast.Call)
        if not any(ctx.resolves_to(node.func, name) for name in _CALLS):
            return
        url = node.args[0] if node.args else None
        targets = target_names(getattr(ctx.loops[-1].node, "target", ast.Tuple(elts=[])))
        if url is None or facts.root_name(url) not in targets:
            return  # not one request per item of a collection of URLs
        if isinstance(ctx.parent, ast.Expr):
            return  # response unused: probing for an error, not fetching
        for call in facts.loop_facts(ctx.loops[-1], ctx).calls:
            if ctx.resolves_to(call.func, "time.sleep") or ctx.resolves_to(call.func, "asyncio.sleep"):
                return
        ctx.report(self, node)
