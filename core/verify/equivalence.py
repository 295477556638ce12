"""Per-call behaviour comparison: deep equality of values, exceptions and output.

Standard library only: this file is also copied into the sandbox (as
``velox_equivalence.py``) where the harness compares an original and a candidate call.

Rules (codeflash-style, stricter where a rewrite could change what callers see):
- types must match by (module, qualified name); ``1 == 1.0`` is a difference, because a
  rewrite that turns an int result into a float changes behaviour. Classes defined by the
  module under test live in two module objects (original and candidate), so their
  instances are compared structurally (``__dict__`` and ``__slots__``), not with ``==``.
- floats compare with a relative and an absolute tolerance, and NaN equals NaN;
- sequences element by element; dicts by keys then values (insertion order ignored, like
  ``dict.__eq__``); sets with ``==``;
- exceptions by type and message, memory addresses (``0x7f...``) masked;
- NumPy arrays by dtype, shape and values (NaN-aware), pandas objects with ``.equals``;
- iterators over builtin containers (an argument such as ``iter(xs)``) by the items left in
  them: a rewrite that consumes more or fewer items changes what the caller sees;
- ``re.Match`` objects (no ``__eq__``) by pattern, flags, string, group spans, pos, endpos.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from typing import Any

DEFAULT_REL_TOL = 1e-9
DEFAULT_ABS_TOL = 1e-12
_MAX_DEPTH = 200
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")

_SCALARS = (int, str, bytes, bool, type(None), bytearray, range, slice, type(Ellipsis))


def mask_addresses(text: str) -> str:
    """Replace memory addresses, which differ between any two runs, by ``0x?``."""
    return _ADDRESS.sub("0x?", text)


def type_key(value: Any) -> tuple[str, str]:
    tp = type(value)
    return (getattr(tp, "__module__", "?"), getattr(tp, "__qualname__", tp.__name__))


def short_repr(value: Any, limit: int = 200) -> str:
    """``repr`` that never raises and never grows past ``limit`` characters."""
    try:
        text = repr(value)
    except Exception as exc:  # a hostile or broken __repr__
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    text = mask_addresses(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare_values(
    expected: Any,
    actual: Any,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float = DEFAULT_ABS_TOL,
    local_modules: tuple[str, ...] = (),
) -> str | None:
    """None when ``actual`` behaves like ``expected``; else where and how they differ.

    ``local_modules`` names the module(s) under test: instances of classes defined there
    are compared by state, since the original and the candidate each define their own
    class object.
    """
    cmp = _Comparer(rel_tol, abs_tol, frozenset(local_modules))
    return cmp.diff(expected, actual, "value", 0)


def floats_close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


class _Comparer:
    def __init__(self, rel_tol: float, abs_tol: float, local_modules: frozenset[str]) -> None:
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol
        self.local_modules = local_modules
        self.seen: set[tuple[int, int]] = set()

    def diff(self, a: Any, b: Any, path: str, depth: int) -> str | None:
        if a is b:
            return None
        ka, kb = type_key(a), type_key(b)
        if ka != kb:
            return f"{path}: type {ka[1]} != {kb[1]} ({short_repr(a, 80)} vs {short_repr(b, 80)})"
        if depth > _MAX_DEPTH:
            return None if _safe_eq(a, b) else f"{path}: differs (nesting too deep to explain)"
        if isinstance(a, float):
            return None if floats_close(a, b, self.rel_tol, self.abs_tol) else _neq(path, a, b)
        if isinstance(a, complex):
            ok = floats_close(a.real, b.real, self.rel_tol, self.abs_tol) and floats_close(
                a.imag, b.imag, self.rel_tol, self.abs_tol
            )
            return None if ok else _neq(path, a, b)
        if isinstance(a, _SCALARS):
            return None if _safe_eq(a, b) else _neq(path, a, b)
        pair = (id(a), id(b))
        if pair in self.seen:  # a cycle: already being compared higher up
            return None
        self.seen.add(pair)
        if isinstance(a, BaseException):
            return self._exception(a, b, path)
        module = ka[0]
        if module == "numpy" or module.startswith("numpy."):
            return self._numpy(a, b, path)
        if module.startswith("pandas"):
            return None if _pandas_equal(a, b) else f"{path}: pandas objects differ"
        if isinstance(a, (list, tuple)) or ka == ("collections", "deque"):
            return self._sequence(list(a), list(b), path, depth)
        if isinstance(a, Mapping):
            return self._mapping(a, b, path, depth)
        if isinstance(a, (set, frozenset)):
            return self._set(a, b, path, depth)
        if isinstance(a, re.Match):  # no __eq__: what a caller can read off it
            return None if _match_state(a) == _match_state(b) else _neq(path, a, b)
        if _container_iterator(a):
            ra, rb = _remaining(a), _remaining(b)
            if ra is not None and rb is not None:
                return self._sequence(ra, rb, f"{path}(remaining items)", depth + 1)
        if isinstance(a, type) or callable(a) and hasattr(a, "__qualname__"):
            qa, qb = _qualname(a), _qualname(b)
            return None if qa == qb else f"{path}: {qa} != {qb}"
        if module in self.local_modules:
            return self._state(a, b, path, depth)
        if _safe_eq(a, b):
            return None
        if _has_state(a):
            return self._state(a, b, path, depth)
        return _neq(path, a, b)

    def _exception(self, a: BaseException, b: BaseException, path: str) -> str | None:
        # type (checked by the caller) and message; the message is what callers see, and
        # comparing ``args`` too would trip over memory addresses inside them
        ma, mb = mask_addresses(_safe_str(a)), mask_addresses(_safe_str(b))
        if ma != mb:
            return f"{path}: exception message {ma!r} != {mb!r}"
        return None

    def _sequence(self, a: list, b: list, path: str, depth: int) -> str | None:
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = self.diff(x, y, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None

    def _mapping(self, a: Mapping, b: Mapping, path: str, depth: int) -> str | None:
        if len(a) != len(b):
            return f"{path}: {len(a)} keys != {len(b)} keys"
        try:
            same_keys = a.keys() == b.keys()
        except Exception:
            same_keys = False
        if same_keys:
            for key in a:
                found = self.diff(a[key], b[key], f"{path}[{short_repr(key, 40)}]", depth + 1)
                if found:
                    return found
            return None
        # Keys that cannot match by hash (instances of the module's own classes):
        # compare the items in insertion order.
        return self._sequence(list(a.items()), list(b.items()), f"{path}.items()", depth + 1)

    def _set(self, a: Any, b: Any, path: str, depth: int) -> str | None:
        if len(a) != len(b):
            return f"{path}: {len(a)} elements != {len(b)} elements"
        if _safe_eq(a, b):
            return None
        ordered_a = sorted(a, key=short_repr)
        ordered_b = sorted(b, key=short_repr)
        return self._sequence(ordered_a, ordered_b, f"{path}(sorted)", depth + 1)

    def _state(self, a: Any, b: Any, path: str, depth: int) -> str | None:
        sa, sb = _object_state(a), _object_state(b)
        if sa is None or sb is None:
            return None if _safe_eq(a, b) else _neq(path, a, b)
        return self._mapping(sa, sb, f"{path}.__dict__", depth + 1)

    def _numpy(self, a: Any, b: Any, path: str) -> str | None:
        import numpy  # only reached when numpy objects exist, so numpy is importable

        if isinstance(a, numpy.ndarray):
            if a.dtype != b.dtype or a.shape != b.shape:
                return f"{path}: array {a.dtype}{a.shape} != {b.dtype}{b.shape}"
            if a.dtype.kind in "fc":
                ok = bool(
                    numpy.allclose(a, b, rtol=self.rel_tol, atol=self.abs_tol, equal_nan=True)
                )
            else:
                ok = bool(numpy.array_equal(a, b))
            return None if ok else f"{path}: array values differ"
        if isinstance(a, numpy.generic):  # numpy scalar
            x, y = a.item(), b.item()
            if isinstance(x, float):
                return None if floats_close(x, y, self.rel_tol, self.abs_tol) else _neq(path, a, b)
            return None if _safe_eq(x, y) else _neq(path, a, b)
        return None if _safe_eq(a, b) else _neq(path, a, b)


def _match_state(m: re.Match) -> tuple[Any, ...]:
    return (m.re.pattern, m.re.flags, m.string, m.regs, m.pos, m.endpos)


def _container_iterator(obj: Any) -> bool:
    """An iterator over a builtin container (``list_iterator``, ``range_iterator``,
    ``dict_keyiterator``...): it never equals another one, but what is left in it is what
    the caller sees after the call, and reading it runs no user code."""
    tp = type(obj)
    return getattr(tp, "__module__", None) == "builtins" and tp.__name__.endswith("iterator")


def _remaining(it: Any) -> list[Any] | None:
    try:
        return list(it)
    except Exception:  # e.g. a dict changed size during iteration
        return None


def _neq(path: str, a: Any, b: Any) -> str:
    return f"{path}: {short_repr(a, 120)} != {short_repr(b, 120)}"


def _safe_eq(a: Any, b: Any) -> bool:
    try:
        result = a == b
        return result if isinstance(result, bool) else bool(result)
    except Exception:
        return False


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"


def _pandas_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a.equals(b))
    except Exception:
        return _safe_eq(a, b)


def _has_state(obj: Any) -> bool:
    return hasattr(obj, "__dict__") or bool(_slot_names(type(obj)))


def _slot_names(tp: type) -> list[str]:
    names: list[str] = []
    for klass in getattr(tp, "__mro__", ()):
        slots = klass.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        names.extend(s for s in slots if s not in ("__dict__", "__weakref__"))
    return names


def _object_state(obj: Any) -> dict[str, Any] | None:
    state: dict[str, Any] = {}
    with contextlib.suppress(TypeError):
        state.update(vars(obj))
    for name in _slot_names(type(obj)):
        if hasattr(obj, name):
            state[name] = getattr(obj, name)
    if not state and not hasattr(obj, "__dict__") and not _slot_names(type(obj)):
        return None
    return state


def compare_outcomes(
    expected: dict[str, Any],
    actual: dict[str, Any],
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float = DEFAULT_ABS_TOL,
    local_modules: tuple[str, ...] = (),
) -> tuple[str, str] | None:
    """Compare two call outcomes; None when equal, else ``(kind, detail)``.

    An outcome is ``{"raised": exc | None, "value": ..., "args": [...], "kwargs": {...},
    "stdout": str}`` where args/kwargs are the arguments as they are after the call.
    """
    opts = {"rel_tol": rel_tol, "abs_tol": abs_tol, "local_modules": local_modules}
    ea, aa = expected.get("raised"), actual.get("raised")
    if (ea is None) != (aa is None):
        if ea is None:
            return ("exception", f"candidate raised {type(aa).__name__}: {_safe_str(aa)[:200]}")
        return ("exception", f"original raised {type(ea).__name__} but the candidate returned")
    if ea is not None:
        if type_key(ea) != type_key(aa):
            return ("exception", f"raised {type(ea).__name__} != {type(aa).__name__}")
        found = compare_values(ea, aa, **opts)
        if found:
            return ("exception", found)
    else:
        found = compare_values(expected.get("value"), actual.get("value"), **opts)
        if found:
            return ("return", found)
    found = compare_values(expected.get("args"), actual.get("args"), **opts)
    if found:
        return ("mutation", found.replace("value", "args", 1))
    found = compare_values(expected.get("kwargs"), actual.get("kwargs"), **opts)
    if found:
        return ("mutation", found.replace("value", "kwargs", 1))
    so, sa = mask_addresses(expected.get("stdout", "")), mask_addresses(actual.get("stdout", ""))
    if so != sa:
        return ("stdout", f"stdout {short_repr(so, 120)} != {short_repr(sa, 120)}")
    return None
