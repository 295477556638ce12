"""The job-kind registry."""

from __future__ import annotations

import pytest

from core.jobs.ping import run_ping
from tasks.registry import JOB_KINDS, JobKind, UnknownJobKind, get_kind, longest_time_limit


def test_training_goes_to_gpu_everything_else_to_cpu():
    assert get_kind("train").queue == "gpu"
    assert {k.queue for name, k in JOB_KINDS.items() if name != "train"} == {"cpu"}


def test_vocabularies():
    scan = get_kind("scan")
    assert (scan.initial_status, scan.running_status, scan.success_status) == (
        "queued", "started", "succeeded")
    train = get_kind("train")
    assert train.initial_status == "initiated"
    assert set(train.final_statuses) == {"completed", "rejected", "failed"}


def test_targets_name_module_and_function():
    assert get_kind("ping").load() is run_ping
    assert get_kind("scan").target == "core.analysis.jobs:run_scan"
    assert get_kind("train").target == "ml.jobs:run_training"


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(UnknownJobKind) as info:
        get_kind("nope")
    assert "nope" in str(info.value) and "scan" in str(info.value)
    assert isinstance(info.value, KeyError)


@pytest.mark.parametrize("kwargs, message", [
    ({"queue": "tpu"}, "unknown queue"),
    ({"target": "no_colon"}, "module:function"),
    ({"soft_time_limit": 10, "time_limit": 5}, "soft_time_limit < time_limit"),
])
def test_bad_kinds_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        JobKind(**{"name": "x", "target": "m:f", **kwargs})


def test_longest_limit_is_training():
    assert longest_time_limit() == get_kind("train").time_limit
