"""The detector catalogue: one module per detector (``vxNNN_name.py``), each defining one
``Detector`` subclass. ``DETECTORS`` lists one instance of each, in id order;
``get_detector(id)`` finds one by id. ``catalogue()`` describes them (for docs and SARIF).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from core.analysis.detectors.base import Detector


def _load() -> list[Detector]:
    found: list[Detector] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("vx"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Detector)
            and obj is not Detector
            and obj.__module__ == module.__name__
        ]
        if len(classes) != 1:
            raise RuntimeError(f"{module.__name__} must define exactly one Detector")
        found.append(classes[0]())
    ids = [d.id for d in found]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"duplicate detector ids: {ids}")
    return sorted(found, key=lambda d: d.id)


DETECTORS: list[Detector] = _load()
_BY_ID = {d.id: d for d in DETECTORS}


def get_detector(detector_id: str) -> Detector:
    try:
        return _BY_ID[detector_id]
    except KeyError:
        raise KeyError(f"unknown detector {detector_id!r}") from None


@cache
def catalogue() -> list[dict[str, Any]]:
    """One dict per detector: id, name, action_type, severity, title, fix, doc."""
    return [
        {
            "id": d.id,
            "name": d.name,
            "action_type": d.action_type,
            "severity": d.severity,
            "title": d.title,
            "fix": d.fix,
            "doc": d.doc(),
        }
        for d in DETECTORS
    ]


__all__ = ["DETECTORS", "Detector", "catalogue", "get_detector"]
