"""The ``velox`` command line.

Each subcommand lives in its own module of this package and exposes
``register(subparsers) -> None``, which adds its parser and sets ``handler`` (a function
taking the parsed ``argparse.Namespace`` and returning an exit code). The CLI calls
``core``/``ml`` in process (embedded mode); ``serve`` and ``worker`` start the services.

Usage errors exit 2 with one line that says what to fix.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand modules, in the order ``velox --help`` lists them. A module that is not
# written yet is simply absent from this list.
SUBCOMMAND_MODULES: list[str] = [
    "api.cli.scan",
    "api.cli.optimize",
    "api.cli.generate_data",
    "api.cli.pretrain",
    "api.cli.policy",
    "api.cli.db",
    "api.cli.serve",
    "api.cli.worker",
]


class UsageError(Exception):
    """Raised by handlers for bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="velox",
        description="Find slow Python code, rewrite it, prove it behaves the same, measure the gain.",
    )
    from core.settings import get_settings  # noqa: PLC0415 - cheap, but keep --help free of side effects

    parser.add_argument("--version", action="version", version=f"velox {get_settings().APP_VERSION}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from core.settings import SettingsError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.handler(args) or 0)
    except SettingsError as exc:
        print(f"velox: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"velox: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("velox: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
