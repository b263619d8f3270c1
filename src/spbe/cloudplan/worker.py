"""`python -m spbe.cloudplan.worker --project DIR --stack NAME`: one stack, one process.

Prints the plan snapshot as JSON (exit 0), or the input problems as JSON (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from spbe.cloudplan.engine import record_plan, reference_exports
from spbe.cloudplan.project import PulumiProject
from spbe.errors import InputError


def main() -> int:
    parser = argparse.ArgumentParser(prog="spbe.cloudplan.worker")
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--reference", type=Path, metavar="SNAPSHOT",
                        help="answer StackReferences from this plan snapshot's exports")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pulumi's event-loop deprecation noise under mocks
    overrides = dict(item.split("=", 1) for item in args.set)
    try:
        lookup = reference_exports(args.reference) if args.reference else None
        plan = record_plan(PulumiProject.load(args.project), args.stack, overrides, lookup)
    except InputError as exc:
        json.dump({"problems": [p.as_dict() for p in exc.problems]}, sys.stdout)
        return 2
    json.dump(plan.snapshot(), sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
