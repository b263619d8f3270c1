"""`spbe`: the command line of the Padang SPBE infrastructure project."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from spbe import __version__
from spbe.commands import discover
from spbe.console import Output
from spbe.errors import ExitCode, InputError
from spbe.inventory import DEFAULT_ROOT

EPILOG = """exit codes:
  0  success
  1  the command ran and found something wrong (stale output, violations, drift)
  2  invalid input (inventory, arguments); nothing was changed
  3  this machine lacks a requirement (root, a package); nothing was changed
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(ExitCode.INVALID_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spbe",
        description="Infrastructure as code for Kota Padang's SPBE data center, DRC and "
        "branch network (Perwako Padang 29/2022).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for command in discover():
        child = sub.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.HELP,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        child.add_argument(
            "--inventory",
            type=Path,
            default=DEFAULT_ROOT,
            metavar="DIR",
            help=f"inventory folder (default: {DEFAULT_ROOT}/)",
        )
        child.add_argument("--json", action="store_true", help="print one JSON document")
        command.configure(child)
        child.set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Output(as_json=args.json)
    try:
        return int(args.handler(args, out))
    except InputError as exc:
        out.problems(exc.problems)
        return ExitCode.INVALID_INPUT
    except BrokenPipeError:  # e.g. `spbe ipam --format csv | head`
        sys.stderr.close()
        return ExitCode.OK
    except KeyboardInterrupt:
        out.errors.print("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
