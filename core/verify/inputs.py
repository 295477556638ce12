"""Inputs for behaviour comparison, found without running the user's code here.

Sources, best first (the verifier also adds explicit inputs and calls recorded from the
user's tests, both ahead of these):

- ``doctest``: examples in the target's docstring. A simple call with literal arguments
  (``>>> fib(10)``) becomes a call input; any other example is compared as a snippet run
  in each module's namespace.
- ``call_site``: calls of a target with literal arguments anywhere in the module
  (``print(fib(25))`` under ``if __name__ == "__main__":`` for instance).
- ``generated``: hypothesis draws (deterministic: ``derandomize=True``) from the
  parameters' annotations, else from their defaults, else from how the body uses them
  (``n - 1`` and ``range(n)`` say int, ``s.split()`` says str, ``xs[i]``/``len(xs)`` say
  list, ``d.items()`` says dict), else small ints. Guessed types are used only for a
  function that has no better input (explicit, recorded, doctest, call site). Sizes are capped (ints -5..20,
  collections of at most 12 items) because exponential code is exactly what gets
  optimized; the harness also drops inputs the original cannot finish within its per-call
  limit and generated inputs it rejects with TypeError/AttributeError (wrong guess).

Methods other than static methods get no generated inputs: they need an instance, which
only recorded calls and doctests provide.
"""

from __future__ import annotations

import ast
import base64
import doctest
import os
import pickle
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any

INT_RANGE = (-5, 20)
MAX_COLLECTION = 12
MAX_TEXT = 12


@dataclass
class CallInput:
    fn: str
    source: str  # explicit | recorded | doctest | call_site | generated
    blob: bytes  # pickle of (args, kwargs)
    label: str = ""

    def to_plan(self) -> dict[str, str]:
        return {"fn": self.fn, "source": self.source, "label": self.label[:200],
                "blob": base64.b64encode(self.blob).decode("ascii")}


def make_input(fn: str, source: str, args: tuple, kwargs: dict | None = None) -> CallInput:
    kwargs = dict(kwargs or {})
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return CallInput(fn, source, pickle.dumps((tuple(args), kwargs), protocol=4),
                     f"{fn}({', '.join(parts)})")


# ------------------------------------------------------------------------- definitions


def find_function(tree: ast.Module, qualname: str) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool, str] | None:
    """``(node, is_method, kind)`` for a dotted name; kind is function, method,
    staticmethod or classmethod."""
    parts = qualname.split(".")
    body: list[ast.stmt] = tree.body
    node: Any = None
    for depth, part in enumerate(parts):
        node = next((n for n in body if isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
        if depth < len(parts) - 1:
            if not isinstance(node, ast.ClassDef):
                return None
            body = node.body
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    in_class = len(parts) > 1
    decorators = {ast.unparse(d) for d in node.decorator_list}
    if "staticmethod" in decorators:
        kind = "staticmethod"
    elif "classmethod" in decorators:
        kind = "classmethod"
    else:
        kind = "method" if in_class else "function"
    return node, in_class, kind


def defined_functions(source: str) -> set[str]:
    """Qualified names of the functions and methods a module defines (two levels)."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(f"{node.name}.{sub.name}")
    return names


def changed_functions(original: str, candidate: str) -> list[str]:
    """Functions whose definition differs between two versions of a module."""
    def dumps(src: str) -> dict[str, str]:
        tree = ast.parse(src)
        out = {}
        for name in defined_functions(src):
            found = find_function(tree, name)
            if found:
                out[name] = ast.dump(found[0])
        return out

    a, b = dumps(original), dumps(candidate)
    return sorted(n for n in a if n in b and a[n] != b[n])


# ------------------------------------------------------------------------- doctests


def _literal_call(node: ast.AST, names: set[str]) -> tuple[str, tuple, dict] | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name):
        name = func.id
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        name = f"{func.value.id}.{func.attr}"
    else:
        return None
    if name not in names:
        return None
    try:
        args = tuple(ast.literal_eval(a) for a in node.args if not isinstance(a, ast.Starred))
        if len(args) != len(node.args):
            return None
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                return None
            kwargs[kw.arg] = ast.literal_eval(kw.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return name, args, kwargs


def doctest_inputs(source: str, qualnames: list[str]) -> tuple[list[CallInput], dict[str, list[dict[str, str]]]]:
    """Doctest examples of the targets: simple literal calls, and the other snippets."""
    tree = ast.parse(source)
    parser = doctest.DocTestParser()
    calls: list[CallInput] = []
    snippets: dict[str, list[dict[str, str]]] = {}
    callable_names = {q for q in qualnames if "." not in q}
    static = set()
    for q in qualnames:
        found = find_function(tree, q)
        if found and found[2] == "staticmethod":
            static.add(q)
    for qualname in qualnames:
        found = find_function(tree, qualname)
        if not found:
            continue
        doc = ast.get_docstring(found[0], clean=True)
        if not doc or ">>>" not in doc:
            continue
        try:
            examples = parser.get_examples(doc)
        except ValueError:
            continue
        rest = []
        for ex in examples:
            call = None
            try:
                expr = ast.parse(ex.source.strip(), mode="eval").body
                call = _literal_call(expr, callable_names | static)
            except SyntaxError:
                call = None
            if call and call[0] == qualname:
                calls.append(make_input(qualname, "doctest", call[1], call[2]))
            else:
                rest.append({"source": ex.source, "want": ex.want})
        if rest:
            snippets[qualname] = rest
    return calls, snippets


def call_site_inputs(source: str, qualnames: list[str], limit: int = 20) -> list[CallInput]:
    tree = ast.parse(source)
    names = set(qualnames)
    out: list[CallInput] = []
    for node in ast.walk(tree):
        found = _literal_call(node, names)
        if found:
            out.append(make_input(found[0], "call_site", found[1], found[2]))
            if len(out) >= limit:
                break
    return out


# ------------------------------------------------------------------------- generation


def _strategies() -> Any:
    from hypothesis import strategies as st

    return st


def _base(name: str) -> Any:
    st = _strategies()
    ints = st.integers(*INT_RANGE)
    table = {
        "int": ints,
        "float": st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        "complex": st.complex_numbers(max_magnitude=1e6, allow_nan=False, allow_infinity=False),
        "str": st.text(max_size=MAX_TEXT),
        "bytes": st.binary(max_size=MAX_TEXT),
        "bool": st.booleans(),
        "None": st.none(),
        "NoneType": st.none(),
        "list": st.lists(ints, max_size=MAX_COLLECTION),
        "List": st.lists(ints, max_size=MAX_COLLECTION),
        "tuple": st.lists(ints, max_size=MAX_COLLECTION).map(tuple),
        "Tuple": st.lists(ints, max_size=MAX_COLLECTION).map(tuple),
        "set": st.sets(ints, max_size=MAX_COLLECTION),
        "Set": st.sets(ints, max_size=MAX_COLLECTION),
        "frozenset": st.frozensets(ints, max_size=MAX_COLLECTION),
        "dict": st.dictionaries(st.text(max_size=6), ints, max_size=MAX_COLLECTION),
        "Dict": st.dictionaries(st.text(max_size=6), ints, max_size=MAX_COLLECTION),
        "Sequence": st.lists(ints, max_size=MAX_COLLECTION),
        "Iterable": st.lists(ints, max_size=MAX_COLLECTION),
        "Collection": st.lists(ints, max_size=MAX_COLLECTION),
        "Mapping": st.dictionaries(st.text(max_size=6), ints, max_size=MAX_COLLECTION),
    }
    return table.get(name)


def strategy_for_annotation(node: ast.expr | None) -> Any:
    """A hypothesis strategy for an annotation expression, or None when unknown."""
    st = _strategies()
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Constant) and node.value is None:
        return st.none()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = strategy_for_annotation(node.left), strategy_for_annotation(node.right)
        return left | right if left is not None and right is not None else None
    name = None
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    if name is not None:
        return _base(name)
    if isinstance(node, ast.Subscript):
        outer = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(
            node.value, "id", None)
        inner = node.slice
        elems = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        subs = [strategy_for_annotation(e) for e in elems]
        if outer in ("Optional",) and subs[0] is not None:
            return st.none() | subs[0]
        if outer == "Union":
            return st.one_of(*subs) if all(s is not None for s in subs) else None
        if outer in ("list", "List", "Sequence", "Iterable", "Collection", "MutableSequence"):
            return st.lists(subs[0], max_size=MAX_COLLECTION) if subs[0] is not None else None
        if outer in ("set", "Set", "AbstractSet", "MutableSet"):
            return st.sets(subs[0], max_size=MAX_COLLECTION) if subs[0] is not None else None
        if outer in ("frozenset", "FrozenSet"):
            return st.frozensets(subs[0], max_size=MAX_COLLECTION) if subs[0] is not None else None
        if outer in ("tuple", "Tuple"):
            if len(elems) == 2 and isinstance(elems[1], ast.Constant) and elems[1].value is ...:
                return (st.lists(subs[0], max_size=MAX_COLLECTION).map(tuple)
                        if subs[0] is not None else None)
            return st.tuples(*subs) if all(s is not None for s in subs) else None
        if outer in ("dict", "Dict", "Mapping", "MutableMapping") and len(subs) == 2:
            if subs[0] is None or subs[1] is None:
                return None
            return st.dictionaries(subs[0], subs[1], max_size=MAX_COLLECTION)
    return None


_STR_METHODS = {"split", "lower", "upper", "strip", "lstrip", "rstrip", "startswith",
                "endswith", "replace", "find", "isdigit", "isalpha", "encode", "splitlines",
                "title", "format", "casefold", "isspace", "partition"}
_LIST_METHODS = {"append", "extend", "pop", "sort", "insert", "remove", "reverse"}
_DICT_METHODS = {"items", "keys", "values", "get", "setdefault", "update"}


def infer_from_usage(fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> Any:
    """Guess a parameter's type from how the body uses it; small ints when nothing says."""
    st = _strategies()
    votes = {"int": 0, "str": 0, "list": 0, "dict": 0, "float": 0}
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == param:
            if node.attr in _STR_METHODS:
                votes["str"] += 2
            elif node.attr in _DICT_METHODS:
                votes["dict"] += 2
            elif node.attr in _LIST_METHODS or node.attr in ("index", "count"):
                votes["list"] += 2
        elif isinstance(node, (ast.BinOp, ast.Compare, ast.AugAssign)):
            operands = ([node.left, node.right] if isinstance(node, ast.BinOp) else
                        [node.left, *node.comparators] if isinstance(node, ast.Compare) else
                        [node.target, node.value])
            if any(isinstance(o, ast.Name) and o.id == param for o in operands):
                for o in operands:
                    if isinstance(o, ast.Constant):
                        if isinstance(o.value, bool):
                            continue
                        if isinstance(o.value, int):
                            votes["int"] += 1
                        elif isinstance(o.value, float):
                            votes["float"] += 1
                        elif isinstance(o.value, str):
                            votes["str"] += 1
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            uses = any(isinstance(a, ast.Name) and a.id == param for a in node.args)
            if uses and node.func.id == "range":
                votes["int"] += 2
            elif uses and node.func.id in ("len", "sorted", "sum", "min", "max", "enumerate",
                                           "reversed", "set", "list", "tuple"):
                votes["list"] += 1
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id == param or isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Name) \
                and node.iter.id == param:
            votes["list"] += 1
    best = max(votes, key=lambda k: votes[k])
    if votes[best] == 0:
        best = "int"
    return _base(best) if best != "float" else st.floats(-1e3, 1e3, allow_nan=False)


def _strategy_for_default(value: Any) -> Any:
    if value is None:
        return None
    return _base(type(value).__name__)


def draw(strategy: Any, n: int) -> list[Any]:
    """``n`` deterministic draws (fewer when the strategy has fewer distinct values)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import NonInteractiveExampleWarning

    _keep_hypothesis_out_of_cwd()
    out: list[Any] = []

    @settings(max_examples=n, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        collect()
    return out


def _keep_hypothesis_out_of_cwd() -> None:
    """Hypothesis keeps caches in ``./.hypothesis`` even without an example database: a
    user running ``velox optimize`` in their project would find that folder left behind.
    Velox's own draws use a folder under the system temp dir instead, unless the user
    chose one (``HYPOTHESIS_STORAGE_DIRECTORY``)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "velox-hypothesis"))


def generated_inputs(source: str, qualname: str, n: int = 25, *,
                     allow_guess: bool = True) -> list[CallInput]:
    """Generated calls for one target (empty for instance methods and classmethods).

    With ``allow_guess=False`` nothing is generated when a parameter's type would have to
    be guessed from usage: real inputs (recorded, doctest...) say more than a guess, and a
    guess outside the function's domain would flag differences nobody can hit.
    """
    if n <= 0:
        return []
    tree = ast.parse(source)
    found = find_function(tree, qualname)
    if not found:
        return []
    node, in_class, kind = found
    if kind in ("method", "classmethod"):
        return []
    st = _strategies()
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[Any] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    pos_strats = []
    for param, default in zip(positional, defaults, strict=True):
        strat = strategy_for_annotation(param.annotation)
        if strat is None and default is not None:
            try:
                strat = _strategy_for_default(ast.literal_eval(default))
            except ValueError:
                strat = None
        if strat is None:
            if not allow_guess:
                return []
            strat = infer_from_usage(node, param.arg)
        pos_strats.append(strat)
    kw_strats = {}
    for param, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        if default is not None:
            continue  # keep the default
        strat = strategy_for_annotation(param.annotation)
        if strat is None:
            if not allow_guess:
                return []
            strat = infer_from_usage(node, param.arg)
        kw_strats[param.arg] = strat
    whole = st.tuples(st.tuples(*pos_strats), st.fixed_dictionaries(kw_strats))
    seen: set[bytes] = set()
    out: list[CallInput] = []
    for args, kwargs in draw(whole, n):
        ci = make_input(qualname, "generated", args, kwargs)
        if ci.blob in seen:
            continue
        seen.add(ci.blob)
        out.append(ci)
    return out
