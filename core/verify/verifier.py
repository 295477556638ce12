"""``verify_and_measure``: syntax, behaviour, measurement and the user's tests for one
candidate, every step that runs user code in the sandbox.

Order and rules:

1. Syntax: both sources must compile (parsed here, never executed here) → ``syntax_error``.
2. Targets: ``function_names`` (or the functions whose definition changed) must exist in
   the original (else ``skipped``) and in the candidate (else ``not_equivalent``).
3. Inputs, best first: explicit ``call_inputs``; calls recorded while the user's tests ran
   on the original (when a test command and a project are given); doctest calls; literal
   call sites; generated inputs (see ``inputs.py``).
4. Behaviour (sandbox, ``compare``): per call, return value, mutated arguments, exception
   type and message, stdout; doctest snippets. → ``not_equivalent`` / ``timeout`` /
   ``crashed`` / ``resource_limit``; ``skipped`` when a target got no compared call (a
   candidate is never validated without compared calls on every changed function).
5. Measurement (sandbox, ``measure``) on the inputs where the original returns normally;
   the acceptance rule is ``measure.score_measurement`` → ``no_speedup`` when refused.
   Measuring comes before the tests so a candidate with no gain does not pay for a test
   run; its status is ``no_speedup`` whatever its tests would say.
6. The user's test command on a patched copy of the project (sandbox) → ``tests_failed``
   (also when the original fails them too: a suggestion is never validated on a red
   suite), ``timeout``; ``skipped`` when the command cannot start.
7. ``validated``.

``run_validation=False`` skips 4 and 6: the candidate is still measured (inputs the
original runs without error; the candidate's behaviour is not checked) and the status is
``skipped`` with the figures, never ``validated``. Failures while measuring keep their
own status (``timeout``, ``crashed``...).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from core.verify import inputs as inputs_mod
from core.verify import project as project_mod
from core.verify.measure import (
    DEFAULT_FAST_FLOOR_PCT,
    DEFAULT_FLOOR_THRESHOLD_NS,
    DEFAULT_MEMORY_BASELINE_BYTES,
    DEFAULT_MEMORY_FLOOR_PCT,
    DEFAULT_SLOW_FLOOR_PCT,
    normalize_weights,
    score_measurement,
)
from core.verify.result import VerificationResult
from core.verify.sandbox import (
    PYTHON_FLAGS,
    Isolation,
    SandboxLimits,
    SandboxResult,
    run_sandboxed,
)

_MODULE_NAME = __import__("re").compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass
class VerifyOptions:
    """Knobs with sane defaults; tests shrink the limits."""

    isolation: Isolation = "auto"
    per_call_timeout_s: float = 5.0
    candidate_timeout_factor: float = 10.0
    import_timeout_s: float = 30.0
    rel_tol: float = 1e-9
    abs_tol: float = 1e-12
    generated_per_function: int = 25
    recorded_per_function: int = 20
    max_inputs_per_function: int = 60
    record_tests: bool = True
    # extra environment for the user's test command (the sandbox starts from a scrubbed
    # one), e.g. {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"} when installed plugins are slow
    test_env: dict[str, str] = field(default_factory=dict)
    measure_budget_s: float = 2.0
    min_loops: int = 5
    max_loops: int = 1000
    slow_floor_pct: float = DEFAULT_SLOW_FLOOR_PCT
    fast_floor_pct: float = DEFAULT_FAST_FLOOR_PCT
    floor_threshold_ns: int = DEFAULT_FLOOR_THRESHOLD_NS
    memory_floor_pct: float = DEFAULT_MEMORY_FLOOR_PCT
    memory_baseline_bytes: int = DEFAULT_MEMORY_BASELINE_BYTES
    compare_limits: SandboxLimits = field(default_factory=lambda: SandboxLimits(
        cpu_seconds=120, wall_seconds=180, memory_bytes=2 << 30))
    test_limits: SandboxLimits = field(default_factory=lambda: SandboxLimits(
        cpu_seconds=600, wall_seconds=300, memory_bytes=4 << 30, max_processes=256,
        disk_bytes=512 << 20))


@dataclass
class _Layout:
    module_name: str
    files: dict[str, str]
    stage_dirs: dict[str, str]
    original_file: str
    candidate_file: str
    sys_path: list[str]


@dataclass
class _TestRun:
    status: str  # sandbox status
    reason: str
    exit_code: int | None
    tests: list[dict[str, str]]
    recorded: list[inputs_mod.CallInput]
    aliases: list[str]
    isolation: list[str]

    @property
    def passed(self) -> bool:
        return self.status == "ok" or (self.status == "error" and self.exit_code == 5)


_RECORD_CACHE: OrderedDict[str, _TestRun] = OrderedDict()
_RECORD_LOCK = threading.Lock()
_RECORD_CACHE_SIZE = 32


def verify_and_measure(
    original_source: str,
    candidate_source: str,
    function_names: Sequence[str] | None,
    *,
    settings: Any,
    test_command: str | None = None,
    project_dir: str | Path | None = None,
    module_relpath: str | None = None,
    run_validation: bool = True,
    objective_weights: Mapping[str, float] | None = None,
    call_inputs: Mapping[str, Sequence[Any]] | None = None,
    options: VerifyOptions | None = None,
) -> VerificationResult:
    """Verify a whole-module rewrite and measure it against the original.

    ``test_command`` is run as given (``{path}``, if still there, becomes the test files
    that import the module); None runs no tests. ``project_dir``/``module_relpath`` place
    the module in its project (imports of sibling modules, tests); without them the source
    stands alone. ``objective_weights`` defaults to ``settings.objective_weights``.
    ``call_inputs`` adds explicit inputs: ``{function: [args_tuple | (args, kwargs)]}``.
    Raises ValueError for bad arguments; every outcome of the code itself is a status.
    """
    started = time.perf_counter()
    opts = options or VerifyOptions()
    weights = normalize_weights(
        objective_weights if objective_weights is not None else settings.objective_weights)
    if project_dir is not None and not module_relpath:
        raise ValueError("module_relpath is required with project_dir")
    if project_dir is not None and not Path(project_dir).is_dir():
        raise ValueError(f"project_dir is not a directory: {project_dir}")
    result = VerificationResult(validation_status="skipped", reason="",
                                functions=list(function_names or []), objective_weights=weights)
    try:
        _verify(result, original_source, candidate_source, settings=settings,
                test_command=test_command, project_dir=project_dir,
                module_relpath=module_relpath, run_validation=run_validation,
                weights=weights, call_inputs=call_inputs, opts=opts)
    finally:
        result.duration_seconds = time.perf_counter() - started
    return result


def _set(result: VerificationResult, status: str, reason: str) -> VerificationResult:
    result.validation_status = status  # type: ignore[assignment]
    result.reason = reason
    return result


def _verify(result: VerificationResult, original: str, candidate: str, *, settings: Any,
            test_command: str | None, project_dir: str | Path | None,
            module_relpath: str | None, run_validation: bool, weights: dict[str, float],
            call_inputs: Mapping[str, Sequence[Any]] | None, opts: VerifyOptions) -> None:
    for label, source in (("original", original), ("candidate", candidate)):
        problem = _syntax_problem(source)
        if problem:
            _set(result, "syntax_error", f"the {label} does not compile: {problem}")
            return
    if not result.functions:
        result.functions = inputs_mod.changed_functions(original, candidate)
        if not result.functions:
            _set(result, "skipped", "no function differs between original and candidate")
            return
    defined_o = inputs_mod.defined_functions(original)
    defined_c = inputs_mod.defined_functions(candidate)
    for name in result.functions:
        if name not in defined_o:
            _set(result, "skipped", f"the original defines no function {name!r}")
            return
        if name not in defined_c:
            _set(result, "not_equivalent", f"the candidate no longer defines {name!r}")
            return

    layout = _layout(original, candidate, project_dir, module_relpath)
    if test_command and project_dir is not None and module_relpath and "{path}" in test_command:
        test_command = project_mod.fill_test_command(test_command, project_dir, module_relpath)
    run_tests = bool(run_validation and test_command and project_dir is not None)
    result.test_command = test_command if run_tests else None

    baseline: _TestRun | None = None
    if run_tests and opts.record_tests:
        baseline = _baseline_run(original, result.functions, test_command,  # type: ignore[arg-type]
                                 project_dir, module_relpath, opts)  # type: ignore[arg-type]
    calls, snippets = _collect_inputs(original, result.functions, call_inputs, baseline, opts)
    aliases = sorted(set(baseline.aliases) if baseline else set())

    if not run_validation:
        _measure_step(result, layout, calls, aliases, weights, opts, screen=True,
                      indices=None, estimate_ns=None)
        if result.validation_status == "skipped" and result.speedup is not None:
            result.reason = ("validation disabled (run_validation=false): behaviour not "
                             "compared, tests not run; figures are measured")
        return

    plan = _plan(layout, "compare", calls, snippets, aliases, opts)
    sandboxed = _run_harness(layout, plan, opts.compare_limits, opts)
    result.isolation = sandboxed.isolation
    payload = sandboxed.last_json("mode")
    if payload is None:
        _from_sandbox_failure(result, sandboxed, "comparing behaviour")
        return
    result.calls_compared = int(payload.get("calls_compared", 0))
    result.calls_by_source = dict(payload.get("by_source", {}))
    result.calls_by_function = dict(payload.get("by_function", {}))
    result.inputs_skipped = dict(payload.get("skipped", {}))
    status = payload.get("status")
    if status != "equivalent":
        mapped = {"not_equivalent": "not_equivalent", "timeout": "timeout",
                  "crashed": "crashed", "resource_limit": "resource_limit",
                  "original_error": "skipped"}.get(status, "crashed")
        result.mismatch = payload.get("mismatch")
        _set(result, mapped, str(payload.get("reason", status)))
        return
    usable = [int(i) for i in payload.get("usable", [])]
    unreached = [f for f in result.functions if not result.calls_by_function.get(f)]
    if unreached:
        dropped = ", ".join(f"{k}: {v}" for k, v in result.inputs_skipped.items())
        _set(result, "skipped", f"no input to compare behaviour on reached "
                                f"{', '.join(unreached)} (inputs dropped: {dropped or 'none'}; "
                                "instance methods need recorded calls or doctests)")
        return
    if not usable:
        _set(result, "skipped", f"behaviour matched on {result.calls_compared} calls, but no "
                                "input where the original returns normally can be timed")
        return
    estimate = sum(int(payload["original_ns"].get(str(i), 0)) +
                   int(payload["candidate_ns"].get(str(i), 0)) for i in usable)
    _measure_step(result, layout, calls, aliases, weights, opts, screen=False,
                  indices=usable, estimate_ns=estimate)
    if result.validation_status != "validated":
        return
    if run_tests:
        _tests_step(result, candidate, test_command, project_dir, module_relpath,  # type: ignore[arg-type]
                    baseline, opts)


def _syntax_problem(source: str) -> str | None:
    try:
        compile(source, "<module>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _layout(original: str, candidate: str, project_dir: str | Path | None,
            module_relpath: str | None) -> _Layout:
    if project_dir is None:
        name = project_mod.module_name_for_inline()
        return _Layout(
            module_name=name,
            files={f"src/{name}.py": original, f"src/_velox_candidate_{name}.py": candidate},
            stage_dirs={},
            original_file=f"{{stage}}/src/{name}.py",
            candidate_file=f"{{stage}}/src/_velox_candidate_{name}.py",
            sys_path=["{stage}/src"],
        )
    rel = project_mod.check_relpath(module_relpath or "")
    name, root = project_mod.module_layout(project_dir, str(rel))
    cand_rel = rel.parent / f"_velox_candidate_{rel.stem}.py"
    root_path = PurePosixPath("project") / root
    return _Layout(
        module_name=name,
        files={f"project/{rel}": original, f"project/{cand_rel}": candidate},
        stage_dirs={"project": str(Path(project_dir).resolve())},
        original_file=f"{{stage}}/project/{rel}",
        candidate_file=f"{{stage}}/project/{cand_rel}",
        sys_path=[f"{{stage}}/{root_path}", "{stage}/project"],
    )


def _explicit_inputs(call_inputs: Mapping[str, Sequence[Any]] | None) -> list[inputs_mod.CallInput]:
    out = []
    for fn, items in (call_inputs or {}).items():
        for item in items:
            if (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], tuple)
                    and isinstance(item[1], dict)):
                out.append(inputs_mod.make_input(fn, "explicit", item[0], item[1]))
            elif isinstance(item, tuple):
                out.append(inputs_mod.make_input(fn, "explicit", item))
            else:
                out.append(inputs_mod.make_input(fn, "explicit", (item,)))
    return out


def _collect_inputs(original: str, functions: list[str],
                    call_inputs: Mapping[str, Sequence[Any]] | None,
                    baseline: _TestRun | None, opts: VerifyOptions,
                    ) -> tuple[list[inputs_mod.CallInput], dict[str, list[dict[str, str]]]]:
    doc_calls, snippets = inputs_mod.doctest_inputs(original, functions)
    ordered = _explicit_inputs(call_inputs)
    if baseline:
        ordered += baseline.recorded
    ordered += doc_calls
    ordered += inputs_mod.call_site_inputs(original, functions)
    better = {ci.fn for ci in ordered}
    for fn in functions:
        ordered += inputs_mod.generated_inputs(original, fn, opts.generated_per_function,
                                               allow_guess=fn not in better)
    per_fn: dict[str, int] = {}
    seen: set[tuple[str, bytes]] = set()
    kept = []
    for ci in ordered:
        if ci.fn not in functions or (ci.fn, ci.blob) in seen:
            continue
        if per_fn.get(ci.fn, 0) >= opts.max_inputs_per_function:
            continue
        seen.add((ci.fn, ci.blob))
        per_fn[ci.fn] = per_fn.get(ci.fn, 0) + 1
        kept.append(ci)
    return kept, snippets


def _plan(layout: _Layout, mode: str, calls: list[inputs_mod.CallInput],
          snippets: dict[str, list[dict[str, str]]], aliases: list[str],
          opts: VerifyOptions, **extra: Any) -> dict[str, Any]:
    plan = {
        "mode": mode,
        "module_name": layout.module_name,
        "aliases": aliases,
        "original_file": layout.original_file,
        "candidate_file": layout.candidate_file,
        "sys_path": layout.sys_path,
        "functions": sorted({c.fn for c in calls} | set(snippets)),
        "inputs": [c.to_plan() for c in calls],
        "doctests": snippets,
        "per_call_timeout": opts.per_call_timeout_s,
        "import_timeout": opts.import_timeout_s,
        "candidate_timeout_factor": opts.candidate_timeout_factor,
        "rel_tol": opts.rel_tol,
        "abs_tol": opts.abs_tol,
    }
    plan.update(extra)
    return plan


def _run_harness(layout: _Layout, plan: dict[str, Any], limits: SandboxLimits,
                 opts: VerifyOptions) -> SandboxResult:
    files = dict(layout.files)
    files["plan.json"] = json.dumps(plan)
    return run_sandboxed(
        [*PYTHON_FLAGS, "{stage}/boot/velox_harness.py", "{stage}/plan.json"],
        files=files, stage_dirs=layout.stage_dirs, limits=limits, isolation=opts.isolation,
    )


def _from_sandbox_failure(result: VerificationResult, sandboxed: SandboxResult,
                          what: str) -> None:
    tail = sandboxed.stderr.strip().splitlines()[-1:] if sandboxed.stderr.strip() else []
    detail = f"; stderr: {tail[0][:200]}" if tail else ""
    status = sandboxed.status
    if status in ("timeout", "resource_limit", "crashed"):
        _set(result, status, f"{what}: {sandboxed.reason}{detail}")
    elif status == "setup_error":
        _set(result, "skipped", f"{what}: the sandbox could not start: {sandboxed.reason}")
    elif status == "error":
        _set(result, "crashed", f"{what}: the process ended with {sandboxed.reason}{detail}")
    else:
        _set(result, "crashed", f"{what}: the process ended without reporting a result"
                                f" ({sandboxed.reason or 'exit code 0'}){detail}")


def _measure_step(result: VerificationResult, layout: _Layout,
                  calls: list[inputs_mod.CallInput], aliases: list[str],
                  weights: dict[str, float], opts: VerifyOptions, *, screen: bool,
                  indices: list[int] | None, estimate_ns: int | None) -> None:
    if not calls:
        _set(result, "skipped", "no inputs to measure on")
        return
    per_loop_s = (estimate_ns or 0) / 1e9
    wall = 30.0 + 3.0 * (opts.measure_budget_s + (opts.min_loops + 4) * per_loop_s)
    if screen:
        wall += opts.per_call_timeout_s * len(calls)
    limits = replace(opts.compare_limits, wall_seconds=max(opts.compare_limits.wall_seconds, wall),
                     cpu_seconds=max(opts.compare_limits.cpu_seconds, wall))
    plan = _plan(layout, "measure", calls, {}, aliases, opts, indices=indices, screen=screen,
                 budget_s=opts.measure_budget_s, min_loops=opts.min_loops,
                 max_loops=opts.max_loops)
    sandboxed = _run_harness(layout, plan, limits, opts)
    if not result.isolation:
        result.isolation = sandboxed.isolation
    payload = sandboxed.last_json("mode")
    if payload is None:
        _from_sandbox_failure(result, sandboxed, "measuring")
        return
    if payload.get("status") == "no_inputs":
        _set(result, "skipped", str(payload.get("reason")))
        return
    if payload.get("status") != "measured":
        status = payload.get("status")
        mapped = status if status in ("timeout", "crashed", "resource_limit") else "crashed"
        _set(result, mapped, f"measuring: {payload.get('reason', status)}")
        return
    result.loops = int(payload["loops"])
    share = payload.get("faster_share")
    result.faster_share = round(float(share), 4) if share is not None else None
    result.inputs = int(payload["inputs"])
    result.original_ns = int(payload["original_ns"])
    result.candidate_ns = int(payload["candidate_ns"])
    peaks_o = [int(x) for x in payload["original_peaks"]]
    peaks_c = [int(x) for x in payload["candidate_peaks"]]
    result.original_peak_bytes = max(peaks_o, default=0)
    result.candidate_peak_bytes = max(peaks_c, default=0)
    score = score_measurement(
        original_ns=max(result.original_ns, 1), candidate_ns=result.candidate_ns,
        original_memory_bytes=sum(peaks_o), candidate_memory_bytes=sum(peaks_c),
        inputs=result.inputs,
        weights=weights, slow_floor_pct=opts.slow_floor_pct, fast_floor_pct=opts.fast_floor_pct,
        floor_threshold_ns=opts.floor_threshold_ns, memory_floor_pct=opts.memory_floor_pct,
        memory_baseline_bytes=opts.memory_baseline_bytes,
        faster_share=result.faster_share,
        effective_pairs=payload.get("effective_pairs"),
    )
    result.speedup = score.speedup
    result.runtime_delta_pct = round(score.runtime_delta_pct, 4)
    result.memory_delta_pct = round(score.memory_delta_pct, 4)
    result.weighted_score = round(score.weighted_score, 4)
    result.noise_floor_pct = score.noise_floor_pct
    if screen:  # unvalidated: figures only
        _set(result, "skipped", "validation disabled")
        return
    if score.accepted:
        calls = "1 call behaves" if result.calls_compared == 1 else \
            f"{result.calls_compared} calls behave"
        _set(result, "validated", f"{calls} the same; {score.reason}")
    else:
        _set(result, "no_speedup", score.reason)


# ----------------------------------------------------------------------------- tests


def _test_env(extra: dict[str, str], record: dict[str, str] | None) -> dict[str, str]:
    """Our boot folder first on PYTHONPATH (its sitecustomize installs the guards and the
    recorder), the project and its ``src`` after; our pytest plugin reports the tests."""
    env = dict(extra)
    env.update({
        "PYTHONPATH": "{stage}/boot:{work}/project:{work}/project/src",
        "PYTEST_PLUGINS": "velox_recorder",
        "PYTEST_ADDOPTS": ("-p no:cacheprovider " + extra.get("PYTEST_ADDOPTS", "")).strip(),
    })
    if record:
        env.update(record)
    return env


def _run_test_command(command: str, project_dir: str | Path, module_relpath: str,
                      module_source: str, record_functions: list[str] | None,
                      opts: VerifyOptions) -> _TestRun:
    argv = project_mod.split_command(command)
    rel = project_mod.check_relpath(module_relpath)
    record = None
    if record_functions:
        record = {"VELOX_RECORD_TARGET": f"{{work}}/project/{rel}",
                  "VELOX_RECORD_FUNCS": ",".join(record_functions),
                  "VELOX_RECORD_MAX": str(opts.recorded_per_function)}
    sandboxed = run_sandboxed(
        argv, stage_dirs={"project": str(Path(project_dir).resolve())},
        files={f"project/{rel}": module_source}, copy_into_work=[("project", "project")],
        cwd="project", env=_test_env(opts.test_env, record), limits=opts.test_limits,
        isolation=opts.isolation,
    )
    report = sandboxed.last_json("tests") or {}
    tests = [t for t in report.get("tests", []) if isinstance(t, dict)]
    recorded: list[inputs_mod.CallInput] = []
    aliases: set[str] = set()
    for kind, payload in sandboxed.frames:
        if kind != "R" or b"\n" not in payload:
            continue
        head, blob = payload.split(b"\n", 1)
        try:
            meta = json.loads(head)
        except ValueError:
            continue
        fn, module = meta.get("fn"), meta.get("module")
        if record_functions and fn in record_functions:
            recorded.append(inputs_mod.CallInput(fn, "recorded", blob, f"{fn}(<recorded>)"))
            if isinstance(module, str) and _MODULE_NAME.match(module):
                aliases.add(module)
    return _TestRun(status=sandboxed.status, reason=sandboxed.reason,
                    exit_code=sandboxed.returncode, tests=tests, recorded=recorded,
                    aliases=sorted(aliases), isolation=sandboxed.isolation)


def _baseline_run(original: str, functions: list[str], command: str,
                  project_dir: str | Path, module_relpath: str,
                  opts: VerifyOptions) -> _TestRun:
    """The user's tests on the original, recording calls; cached per original and command."""
    key = hashlib.sha256(json.dumps([
        str(Path(project_dir).resolve()), module_relpath, original, sorted(functions),
        command, opts.isolation, opts.recorded_per_function,
    ]).encode()).hexdigest()
    with _RECORD_LOCK:
        if key in _RECORD_CACHE:
            _RECORD_CACHE.move_to_end(key)
            return _RECORD_CACHE[key]
    run = _run_test_command(command, project_dir, module_relpath, original, functions, opts)
    with _RECORD_LOCK:
        _RECORD_CACHE[key] = run
        while len(_RECORD_CACHE) > _RECORD_CACHE_SIZE:
            _RECORD_CACHE.popitem(last=False)
    return run


def _newly_failing(baseline: _TestRun | None, run: _TestRun) -> list[str] | None:
    """Tests that passed on the original and do not pass on the patched copy (failed, or
    gone: a module that no longer imports loses its tests), when both runs reported per
    test; None when that cannot be told (no baseline, not pytest, the run did not end)."""
    if baseline is None or not baseline.tests or not run.tests or run.status not in ("ok", "error"):
        return None
    if run.exit_code not in (0, 1):  # interrupted, internal or usage error: not a test verdict
        return None
    now = {t.get("nodeid"): t.get("outcome") for t in run.tests}
    return [t["nodeid"] for t in baseline.tests
            if t.get("outcome") == "passed" and now.get(t.get("nodeid")) != "passed"]


def _tests_step(result: VerificationResult, candidate: str, command: str,
                project_dir: str | Path, module_relpath: str, baseline: _TestRun | None,
                opts: VerifyOptions) -> None:
    run = _run_test_command(command, project_dir, module_relpath, candidate, None, opts)
    result.tests_run = [t.get("nodeid", "") for t in run.tests]
    result.tests_failed = [t.get("nodeid", "") for t in run.tests
                           if t.get("outcome") == "failed"]
    result.test_exit_code = run.exit_code
    if run.passed:
        note = "" if run.tests else "; no per-test report (not pytest, or no tests collected)"
        result.reason += f"; test command passed on the patched copy{note}"
        return
    if run.status == "timeout":
        _set(result, "timeout", f"the test command on the patched copy: {run.reason}")
        return
    if run.status == "setup_error":
        _set(result, "skipped", f"the test command could not start: {run.reason}")
        return
    broken = _newly_failing(baseline, run)
    if broken is not None and not broken:
        result.tests_failed = []
        result.reason += ("; test command on the patched copy: every test that passes on the "
                          f"original still passes ({len(run.tests)} ran; the same "
                          f"{sum(t.get('outcome') == 'failed' for t in run.tests)} fail on both)")
        return
    also = ""
    if baseline is not None and not baseline.passed:
        also = " (the original fails the test command too)"
    if broken:
        result.tests_failed = broken
    failed = ", ".join(result.tests_failed[:5]) or run.reason
    _set(result, "tests_failed", f"the user's tests fail on the patched copy{also}: {failed}")
