"""``velox worker``: a Celery worker for the ``cpu`` and/or ``gpu`` queue."""

from __future__ import annotations

import argparse
import os

from api.cli import UsageError

QUEUE_NAMES = ("cpu", "gpu")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a Celery worker (needs REDIS_URL or CELERY_BROKER_URL)",
        description="Consume jobs from the cpu and/or gpu queue. A gpu worker defaults to "
                    "one process that is replaced after each job (frees GPU memory).",
    )
    parser.add_argument("--queues", default="cpu", metavar="cpu|gpu|cpu,gpu",
                        help="comma-separated queues to consume (default cpu)")
    parser.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="worker processes (default: CPU count for cpu, 1 for gpu)")
    parser.add_argument("--loglevel", default="info",
                        choices=("debug", "info", "warning", "error", "critical"))
    parser.add_argument("--hostname", default=None, metavar="NAME",
                        help="node name (default <queues>@<host>)")
    parser.add_argument("--max-tasks-per-child", type=int, default=None, metavar="N",
                        help="replace a worker process after N jobs (default from the app; "
                             "1 for a gpu-only worker)")
    parser.set_defaults(handler=run)


def worker_argv(args: argparse.Namespace) -> list[str]:
    """The ``celery worker`` arguments for these options (validated)."""
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    unknown = [q for q in queues if q not in QUEUE_NAMES]
    if not queues or unknown:
        raise UsageError(f"--queues must name cpu and/or gpu, got {args.queues!r}")
    queues = list(dict.fromkeys(queues))
    gpu_only = queues == ["gpu"]
    concurrency = args.concurrency or (1 if gpu_only else (os.cpu_count() or 1))
    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
    argv = [
        "worker",
        "--queues", ",".join(queues),
        "--concurrency", str(concurrency),
        "--loglevel", args.loglevel,
        "--hostname", args.hostname or f"{'-'.join(queues)}@%h",
    ]
    max_tasks = args.max_tasks_per_child or (1 if gpu_only else None)
    if max_tasks is not None:
        if max_tasks < 1:
            raise UsageError(f"--max-tasks-per-child must be at least 1, got {max_tasks}")
        argv += ["--max-tasks-per-child", str(max_tasks)]
    return argv


def run(args: argparse.Namespace) -> int:
    from core.settings import get_settings

    if get_settings().embedded:
        raise UsageError("no broker configured: set REDIS_URL (or CELERY_BROKER_URL) "
                         "to run a worker; without one, jobs run inside the API process")
    argv = worker_argv(args)
    from tasks.celery_app import app

    app.worker_main(argv=argv)
    return 0
