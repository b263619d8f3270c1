"""`spbe review`: Markdown report of configuration changes since a git revision."""

from __future__ import annotations

import argparse
import sys

from spbe.console import Output
from spbe.errors import ExitCode
from spbe.netconfig.review import markdown, review

NAME = "review"
HELP = "changed devices since --base (diff, remediation, compliance) as Markdown for a PR"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, metavar="REF",
                        help="git revision to compare with, e.g. main or origin/main")


def run(args: argparse.Namespace, out: Output) -> int:
    _, result = review(args.inventory, args.base)
    if out.as_json:
        out.emit_json(result.as_dict())
    else:
        sys.stdout.write(markdown(result))  # raw Markdown: no terminal markup or wrapping
    return ExitCode.OK if result.compliance.ok else ExitCode.FAILED
