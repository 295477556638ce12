"""``propose_llm_candidates``: ask the configured tiers in order for rewrite candidates.

For each tier: a cached answer for the same provider, model and prompt is used without a
call; a tier resting after repeated failures is skipped; otherwise, within the request's
budget of calls and the worker's concurrency limit, the tier is called. Connection errors,
HTTP errors, timeouts and protocol errors count toward the tier's cool-down and fall through
to the next tier; an answer without a usable candidate falls through too (it does not count
as a provider failure — the provider is up). The first tier that yields an accepted
candidate ends the request; its answer is cached.

Candidates are never trusted: each is a RewriteCandidate with ``origin="llm"`` and
``needs_verification=True`` and goes through the same sandboxed verification as rules.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from core.analysis.model import Finding
from core.llm import parsing, prompts
from core.llm.providers import (
    ProviderError,
    Tier,
    answer_fingerprint,
    call_tier,
    tiers_from_settings,
)
from core.llm.state import LLMCache, default_call_slots
from core.llm.types import LLMAttempt, LLMRequest, LLMResult
from core.optimize.candidate import RewriteCandidate
from core.settings import Settings

log = logging.getLogger("core.llm")

MAX_DESCRIPTION_CHARS = 200


def propose_llm_candidates(
    request: LLMRequest,
    *,
    settings: Settings,
    cache: LLMCache | None = None,
    slots: threading.Semaphore | None = None,
) -> LLMResult:
    """Rewrite candidates for one function from the first LLM tier that gives usable ones.

    ``provider`` is None in the result when no tier is configured or none answered usefully;
    ``attempts`` says what happened with each tier. Raises ValueError for a bad request
    (source does not parse, function not found, bad counts).
    """
    if request.num_candidates < 1:
        raise ValueError("num_candidates must be at least 1")
    if request.max_calls < 1:
        raise ValueError("max_calls must be at least 1")
    target = parsing.locate(request.source, request.function_name)
    result = LLMResult()
    tiers = tiers_from_settings(settings)
    if not tiers:
        result.errors.append("no LLM provider configured")
        log.debug("no LLM provider configured; skipping LLM candidates")
        return result

    cache = cache if cache is not None else LLMCache.from_settings(settings)
    slots = slots if slots is not None else default_call_slots()
    weights = request.objective_weights or settings.objective_weights
    messages = _to_langchain(prompts.build_messages(request, target, weights))
    timeout = settings.LLM_TIMEOUT_SECONDS

    for tier in tiers:
        fingerprint = answer_fingerprint(tier, messages)
        cached_text = cache.get_answer(fingerprint)
        if cached_text is not None:
            candidates, rejected = build_candidates(cached_text, request, target, tier)
            if candidates:
                _succeed(result, tier, candidates, cached=True)
                result.attempts.append(_attempt(tier, "cached", rejected=rejected))
                return result

        if cache.cooling_down(tier.health_id):
            result.attempts.append(_attempt(tier, "cooling_down"))
            continue
        if result.calls >= request.max_calls:
            result.attempts.append(_attempt(tier, "budget_exhausted"))
            break
        if not slots.acquire(timeout=timeout):
            result.attempts.append(_attempt(tier, "busy", error="no free LLM call slot"))
            result.errors.append(f"{tier.name}: no free LLM call slot in this worker")
            break
        started = time.perf_counter()
        try:
            result.calls += 1
            text = call_tier(tier, messages, timeout=timeout)
        except ProviderError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            resting = cache.record_failure(tier.health_id)
            message = str(exc)
            result.attempts.append(
                _attempt(tier, exc.kind, error=message, status=exc.status_code, elapsed=elapsed)
            )
            result.errors.append(f"{tier.name}: {exc.kind}: {message}")
            log.warning(
                "LLM tier %s (%s) failed: %s: %s%s",
                tier.name,
                tier.model,
                exc.kind,
                message,
                "; cooling down" if resting else "",
            )
            continue
        finally:
            slots.release()
        elapsed = (time.perf_counter() - started) * 1000
        cache.record_success(tier.health_id)

        candidates, rejected = build_candidates(text, request, target, tier)
        if not candidates:
            reason = "; ".join(rejected) if rejected else "no code in the answer"
            result.attempts.append(
                _attempt(tier, "unusable", error=reason, elapsed=elapsed, rejected=rejected)
            )
            result.errors.append(f"{tier.name}: unusable answer: {reason}"[:500])
            log.info("LLM tier %s (%s) gave no usable candidate: %s", tier.name, tier.model, reason)
            continue
        cache.put_answer(fingerprint, text)
        _succeed(result, tier, candidates, cached=False)
        result.attempts.append(_attempt(tier, "ok", elapsed=elapsed, rejected=rejected))
        return result
    return result


def _succeed(
    result: LLMResult, tier: Tier, candidates: list[RewriteCandidate], *, cached: bool
) -> None:
    result.provider = tier.provider
    result.model = tier.model
    result.tier = tier.name
    result.candidates = candidates
    result.cached = cached
    log.info(
        "LLM analysis completed using provider: %s (model %s, tier %s, %d candidate(s)%s)",
        tier.provider,
        tier.model,
        tier.name,
        len(candidates),
        ", cached" if cached else "",
    )


def _attempt(
    tier: Tier,
    outcome: str,
    *,
    error: str | None = None,
    status: int | None = None,
    elapsed: float = 0.0,
    rejected: list[str] | None = None,
) -> LLMAttempt:
    return LLMAttempt(
        tier=tier.name,
        provider=tier.provider,
        model=tier.model,
        outcome=outcome,  # type: ignore[arg-type]
        error=error,
        status_code=status,
        elapsed_ms=round(elapsed, 1),
        rejected=list(rejected or []),
    )


def _to_langchain(pairs: list[tuple[str, str]]) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage}
    return [kinds[role](content=content) for role, content in pairs]


def build_candidates(
    text: str, request: LLMRequest, target: parsing.Target, tier: Tier
) -> tuple[list[RewriteCandidate], list[str]]:
    """Accepted candidates from an answer (at most ``num_candidates``, no duplicates) and
    the reasons for the refused ones."""
    accepted: list[RewriteCandidate] = []
    rejected: list[str] = []
    seen: set[str] = set()
    raws = parsing.extract_candidates(text)
    if not raws:
        return [], ["no code in the answer"]
    detector_ids = _detector_ids(request.findings, target)
    for index, raw in enumerate(raws, start=1):
        if len(accepted) >= request.num_candidates:
            break
        try:
            spliced = parsing.check_and_splice(request.source, target, raw)
        except parsing.Rejected as exc:
            rejected.append(f"candidate {index}: {exc}")
            continue
        if spliced.optimized_code in seen:
            rejected.append(f"candidate {index}: duplicate of an earlier candidate")
            continue
        seen.add(spliced.optimized_code)
        accepted.append(_to_candidate(request, target, tier, raw, spliced, detector_ids))
    return accepted, rejected


def _detector_ids(findings: list[Finding], target: parsing.Target) -> list[str]:
    ids: list[str] = []
    for finding in prompts.function_findings(findings, target):
        if finding.detector_id not in ids:
            ids.append(finding.detector_id)
    return ids


def _to_candidate(
    request: LLMRequest,
    target: parsing.Target,
    tier: Tier,
    raw: parsing.RawCandidate,
    spliced: parsing.Spliced,
    detector_ids: list[str],
) -> RewriteCandidate:
    action = (
        parsing.valid_action_type(raw.action_type)
        or parsing.valid_action_type(request.action_type)
        or next(
            (
                f.action_type
                for f in prompts.function_findings(request.findings, target)
                if parsing.valid_action_type(f.action_type)
            ),
            None,
        )
        or "algorithm_change"
    )
    explanation = " ".join(raw.explanation.split())
    first_sentence = explanation.split(". ")[0].rstrip(".") if explanation else ""
    description = (
        first_sentence[:MAX_DESCRIPTION_CHARS]
        if first_sentence
        else f"LLM rewrite of {target.qualname}"
    )
    extras = []
    if spliced.added_imports:
        extras.append("adds " + ", ".join(f"`{i}`" for i in spliced.added_imports))
    if spliced.added_helpers:
        extras.append(f"adds {len(spliced.added_helpers)} module-level helper(s)")
    reasoning = explanation or "The model gave no explanation."
    reasoning += f" (proposed by {tier.provider} model {tier.model}"
    reasoning += f"; {'; '.join(extras)})" if extras else ")"
    return RewriteCandidate(
        rule_id=f"llm:{tier.provider}/{tier.model}",
        action_type=action,
        description=description,
        reasoning=reasoning,
        original_code=request.source,
        optimized_code=spliced.optimized_code,
        target_functions=[target.qualname],
        implementation_effort="medium",
        needs_verification=True,
        detector_ids=detector_ids,
        origin="llm",
    )
