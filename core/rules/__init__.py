"""Deterministic rewrite rules (no LLM): the registry and the entry point.

Each rule is one module ``vxrNNN_<name>.py`` holding one `Rule` subclass with its id, the
action type it implements, the detector ids it pairs with and a docstring showing the bad
and the good code. ``RULES`` is the ordered registry; `propose_rewrites` applies them.
"""

from __future__ import annotations

from core.analysis.model import FileAnalysis
from core.optimize.candidate import RewriteCandidate
from core.rules.base import Rule
from core.rules.engine import run_rules
from core.rules.vxr001_memoize_recursion import MemoizeRecursion
from core.rules.vxr002_membership_set import MembershipSet
from core.rules.vxr003_dedup_seen_set import DedupSeenSet
from core.rules.vxr004_string_join import StringJoin
from core.rules.vxr005_deque_queue import DequeQueue
from core.rules.vxr006_counter_count import CounterCount
from core.rules.vxr007_sort_for_minmax import SortForMinMax
from core.rules.vxr008_heapq_topk import HeapqTopK
from core.rules.vxr009_quadratic_sort import QuadraticSort
from core.rules.vxr010_generator_reducer import GeneratorReducer
from core.rules.vxr011_closed_form_sum import ClosedFormSum
from core.rules.vxr012_closed_form_loop import ClosedFormLoop
from core.rules.vxr013_hoist_invariant_call import HoistInvariantCall
from core.rules.vxr014_hoist_invariant_copy import HoistInvariantCopy
from core.rules.vxr015_regex_precompile import RegexPrecompile
from core.rules.vxr016_list_comprehension import ListComprehension
from core.rules.vxr017_dict_set_comprehension import DictSetComprehension
from core.rules.vxr018_list_concat_append import ListConcatAppend
from core.rules.vxr019_sum_of_lists import SumOfLists
from core.rules.vxr020_dict_keys_membership import DictKeysMembership
from core.rules.vxr021_readlines_iteration import ReadlinesIteration
from core.rules.vxr022_deepcopy_hoist import DeepcopyHoist
from core.rules.vxr023_range_len_iteration import RangeLenIteration
from core.rules.vxr024_flag_loop_break import FlagLoopBreak
from core.rules.vxr025_manual_sum import ManualSum
from core.rules.vxr026_manual_min_max import ManualMinMax
from core.rules.vxr027_constructor_comprehension import ConstructorComprehension
from core.rules.vxr028_batch_add import BatchAdd
from core.rules.vxr029_map_lambda import MapLambda
from core.rules.vxr030_single_use_list import SingleUseList

RULES: list[Rule] = [
    MemoizeRecursion(),
    MembershipSet(),
    DedupSeenSet(),
    StringJoin(),
    DequeQueue(),
    CounterCount(),
    SortForMinMax(),
    HeapqTopK(),
    QuadraticSort(),
    GeneratorReducer(),
    ClosedFormSum(),
    ClosedFormLoop(),
    HoistInvariantCall(),
    HoistInvariantCopy(),
    RegexPrecompile(),
    ListComprehension(),
    DictSetComprehension(),
    ListConcatAppend(),
    SumOfLists(),
    DictKeysMembership(),
    ReadlinesIteration(),
    DeepcopyHoist(),
    RangeLenIteration(),
    FlagLoopBreak(),
    ManualSum(),
    ManualMinMax(),
    ConstructorComprehension(),
    BatchAdd(),
    MapLambda(),
    SingleUseList(),
]

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
assert len(RULES_BY_ID) == len(RULES), "duplicate rule id"


def propose_rewrites(
    source: str,
    analysis: FileAnalysis | None = None,
    *,
    action_order: list[str] | None = None,
    rule_ids: list[str] | None = None,
    strict: bool = False,
) -> list[RewriteCandidate]:
    """Every rewrite the rules find in ``source``: one candidate per (rule, function).

    Candidates carry the whole module before and after. They are ordered by
    ``action_order`` (the policy's ranking of action types; unranked types last), then by
    rule order, then by function order. ``rule_ids`` restricts the rules tried. A source
    that does not parse, or an ``analysis`` with an error, yields no candidates. A rule that
    raises is skipped and logged (re-raised when ``strict``, for tests).
    """
    rules = RULES if rule_ids is None else [RULES_BY_ID[i] for i in rule_ids]
    return run_rules(source, rules, analysis, action_order=action_order, strict=strict)


__all__ = ["RULES", "RULES_BY_ID", "Rule", "propose_rewrites"]
