"""Verification: run candidates in a sandbox, prove they behave like the original, measure.

Public entry points:
- ``verify_and_measure(original_source, candidate_source, function_names, *, settings, ...)``
  → ``VerificationResult`` (see ``verifier.py`` for the order of steps and the rules);
- ``run_sandboxed(argv, ...)`` → ``SandboxResult``, the isolation primitive
  (``sandbox.py`` lists what is enforced and what the fallbacks are).
"""

from core.verify.result import VALIDATION_STATUSES, VerificationResult
from core.verify.sandbox import SandboxLimits, SandboxResult, run_python, run_sandboxed
from core.verify.verifier import VerifyOptions, verify_and_measure

__all__ = [
    "VALIDATION_STATUSES",
    "SandboxLimits",
    "SandboxResult",
    "VerificationResult",
    "VerifyOptions",
    "run_python",
    "run_sandboxed",
    "verify_and_measure",
]
