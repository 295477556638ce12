"""``velox serve``: the HTTP API (the guide's ``run.py`` flags).

Development (default): Flask's server with the auto-reloader. ``--no-reload`` or
``--workers N`` (N > 1): gunicorn with N worker processes, as in production.
"""

from __future__ import annotations

import argparse
from typing import Any

from api.cli import UsageError

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8000
# Synchronous requests wait up to api.jobs_http.SYNC_WAIT_SECONDS for a worker.
GUNICORN_TIMEOUT_SECONDS = 330
GUNICORN_THREADS = 4


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {value}")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"workers must be a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"workers must be at least 1, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP API",
        description="Serve the HTTP API. Default: development server with auto-reload; "
                    "--no-reload or --workers N>1: gunicorn.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument("--workers", type=_workers, default=1, metavar="N",
                        help="gunicorn worker processes (default 1; >1 implies --no-reload)")
    parser.add_argument("--no-reload", action="store_true",
                        help="production mode: gunicorn, no auto-reload")
    parser.set_defaults(handler=run)


def _gunicorn(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class VeloxGunicorn(BaseApplication):  # type: ignore[misc]
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from api.app import create_app

            return create_app()

    VeloxGunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": GUNICORN_THREADS,
        "timeout": GUNICORN_TIMEOUT_SECONDS,
        "accesslog": "-",
        "proc_name": "velox-web",
    }).run()


def run(args: argparse.Namespace) -> int:
    from core.settings import get_settings

    settings = get_settings()
    if args.workers > 1 or args.no_reload:
        _gunicorn(args.host, args.port, args.workers)
        return 0
    from api.app import create_app

    try:
        create_app(settings).run(host=args.host, port=args.port, debug=settings.DEBUG,
                                 use_reloader=True)
    except OSError as exc:  # port taken, address not available
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
