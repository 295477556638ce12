"""Generic job functions that belong to no domain package.

Domain job functions live beside their domain (``core.analysis.jobs``,
``core.optimize.jobs``, ``ml.jobs``); the job-kind registry in ``tasks.registry`` names
them all. Every job function has the shape ``fn(params: dict, progress) -> dict``.
"""
