"""The optimization action taxonomy: the shared vocabulary of detectors, rules and the policy.

The order is the action index used by the DQN. Adding a type changes the size of the
action space; a checkpoint trained on another list refuses to load (see ``ml``).
"""

from __future__ import annotations

# name -> one-line meaning. Order matters: it is the DQN's action index.
ACTION_MEANINGS: dict[str, str] = {
    "algorithm_change": "Replace the algorithm with one of lower complexity (e.g. a quadratic sort by sorted()).",
    "data_structure_optimization": "Use a set/dict for membership or lookup instead of scanning a list.",
    "caching_strategy": "Memoize a pure function whose calls repeat (functools.cache / lru_cache).",
    "loop_optimization": "Restructure a loop: fewer passes, less work per iteration, early exits.",
    "generator_conversion": "Feed a consumer from a generator instead of building a whole list first.",
    "string_building": "Build strings with str.join or io.StringIO instead of += in a loop.",
    "comprehension_conversion": "Replace an append loop with a list/dict/set comprehension.",
    "builtin_function_usage": "Use a C-implemented builtin (sum, any, all, map, min, max) instead of Python loops.",
    "loop_invariant_hoisting": "Move work that does not change between iterations out of the loop.",
    "regex_precompilation": "Compile a regular expression once instead of on every use in a loop.",
    "memory_layout_optimization": "Reduce per-object memory, e.g. __slots__ on classes with many instances.",
    "io_streaming": "Stream files line by line instead of reading them whole.",
    "vectorization": "Move element-wise numeric loops into vectorized array operations.",
    "parallelization": "Run independent work concurrently (processes, threads, async).",
    "lazy_evaluation": "Defer or skip computations whose results may not be needed.",
    "dead_code_elimination": "Remove computations whose results are never used.",
    "redundant_computation_elimination": "Compute a repeated expression once and reuse the result.",
    "closed_form_math": "Replace a loop by an exact closed-form arithmetic expression.",
    "short_circuit_evaluation": "Stop as soon as the answer is known (any/all, break, early return).",
    "batch_operations": "Replace per-item calls by one batched call (extend, update, executemany).",
    "specialized_collections": "Use collections.deque, Counter or defaultdict for queue, counting or grouping.",
    "sorting_optimization": "Avoid sorting to find min/max/top-k; use min/max/heapq or sort once.",
    "copy_reduction": "Avoid repeated copies (deepcopy, slicing, list()) inside loops.",
    "attribute_lookup_caching": "Bind a repeatedly looked-up attribute or global to a local name.",
    "no_change": "Leave the code as it is.",
}

PRODUCTION_ACTION_TYPES: list[str] = list(ACTION_MEANINGS)
ACTION_INDEX: dict[str, int] = {name: i for i, name in enumerate(PRODUCTION_ACTION_TYPES)}
NUM_ACTIONS: int = len(PRODUCTION_ACTION_TYPES)

assert NUM_ACTIONS == 25, "the guide's taxonomy has 25 action types"


def action_index(name: str) -> int:
    """Index of an action type; ValueError naming the valid types when unknown."""
    try:
        return ACTION_INDEX[name]
    except KeyError:
        raise ValueError(
            f"unknown action type {name!r}; expected one of: {', '.join(PRODUCTION_ACTION_TYPES)}"
        ) from None
