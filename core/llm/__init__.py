"""The LLM tier: rewrite candidates from OpenRouter, OpenAI or Ollama through langchain.

Candidates from here are never trusted; they are verified and measured like rule
candidates. Without a configured or answering provider Velox keeps working: the result
says ``provider=None`` and carries no candidates.
"""

from core.llm.providers import configured_tiers
from core.llm.service import propose_llm_candidates
from core.llm.state import LLMCache
from core.llm.types import ContextSnippet, LLMAttempt, LLMRequest, LLMResult

__all__ = [
    "ContextSnippet",
    "LLMAttempt",
    "LLMCache",
    "LLMRequest",
    "LLMResult",
    "configured_tiers",
    "propose_llm_candidates",
]
