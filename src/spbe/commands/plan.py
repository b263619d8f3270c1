"""`spbe plan`: the Pulumi DC/DRC program planned offline, policy-checked and diffed.

Runs the real program in `infra/` under Pulumi mocks (no CLI, no cloud), lists what
`pulumi up` would create, evaluates the policy pack of `policies/pulumi/` and compares
with a committed snapshot. One stack per process: Pulumi's mocks are process-global.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spbe.console import Output
from spbe.errors import ExitCode, InputError, Problem

if TYPE_CHECKING:
    from spbe.cloudplan.model import Plan
    from spbe.cloudplan.policies import Violation
    from spbe.cloudplan.snapshot import PlanDiff

NAME = "plan"
HELP = "plan a Pulumi stack (primary|drc) offline: resources, policy pack, snapshot diff"
POLICY_PACK = Path("policies/pulumi")
POLICY_CONFIG = POLICY_PACK / "padang.json"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name: primary or drc")
    parser.add_argument("--format", choices=("md", "json"), default="md",
                        help="output format (default: md; --json is the same as json)")
    parser.add_argument("--diff-against", type=Path, metavar="FILE",
                        help="committed plan snapshot to compare with; exit 1 if different")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="write the plan snapshot (secrets masked) to FILE")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a stack config key, e.g. active_site=drc (repeatable)")
    parser.add_argument("--reference", type=Path, metavar="SNAPSHOT",
                        help="answer the DRC's StackReference from this primary snapshot "
                             "instead of planning the primary in a subprocess")
    parser.add_argument("--project", type=Path, default=Path("."), metavar="DIR",
                        help="folder holding Pulumi.yaml (default: .)")
    parser.add_argument("--policy-pack", type=Path, default=POLICY_PACK, metavar="DIR",
                        help=f"policy pack folder (default: {POLICY_PACK})")
    parser.add_argument("--policy-config", type=Path, default=POLICY_CONFIG, metavar="FILE",
                        help=f"policy pack config (default: {POLICY_CONFIG})")


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    found = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError([Problem("--set", None, item, "", "expected KEY=VALUE")])
        found[key] = value
    found["inventory"] = str(args.inventory.resolve())
    return found


def run(args: argparse.Namespace, out: Output) -> int:
    # Imported here: pulumi costs a quarter second, and every other command would pay it
    # at CLI start-up through command discovery.
    from spbe.cloudplan.engine import record_plan, reference_exports, snapshot_json
    from spbe.cloudplan.policies import evaluate, load_config, load_policies
    from spbe.cloudplan.project import PulumiProject
    from spbe.cloudplan.snapshot import diff, read_snapshot

    warnings.simplefilter("ignore", DeprecationWarning)  # pulumi's event-loop notices
    project = PulumiProject.load(args.project)
    lookup = reference_exports(args.reference) if args.reference else None
    plan = record_plan(project, args.stack, _overrides(args), lookup)
    policies = load_policies(args.policy_pack)
    config_path = args.policy_config if args.policy_config.exists() else None
    violations = evaluate(policies, plan, load_config(config_path))
    snapshot = plan.snapshot()
    changes = diff(read_snapshot(args.diff_against), snapshot) if args.diff_against else None
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(snapshot_json(plan), encoding="utf-8")
        out.errors.print(f"wrote {args.save}")
    if out.as_json or args.format == "json":
        out.emit_json(_as_json(plan, snapshot, violations, changes))
    else:
        sys.stdout.write(markdown(plan, violations, changes, config_path))
    failed = any(v.level != "advisory" for v in violations) or (
        changes is not None and not changes.empty)
    return ExitCode.FAILED if failed else ExitCode.OK


def _as_json(plan: Plan, snapshot: dict[str, Any], violations: list[Violation],
             changes: PlanDiff | None) -> dict[str, Any]:
    return {
        "ok": not violations and (changes is None or changes.empty),
        "stack": plan.stack,
        "resource_count": snapshot["resource_count"],
        "counts_by_type": snapshot["counts_by_type"],
        "counts_by_tenant": snapshot["counts_by_tenant"],
        "exports": snapshot["exports"],
        "violations": [v.as_dict() for v in violations],
        "diff": None if changes is None else changes.as_dict(),
    }


def markdown(plan: Plan, violations: list[Violation], changes: PlanDiff | None,
             policy_config: Path | None) -> str:
    """A pull-request comment: counts, policy results, and what changed."""
    lines = [f"## Pulumi plan: stack `{plan.stack}` ({len(plan.custom_records())} resources)",
             "", "| resource type | count |", "| --- | ---: |"]
    lines += [f"| {kind} | {count} |" for kind, count in plan.counts_by_type().items()]
    lines += ["", "| tenant | resources |", "| --- | ---: |"]
    lines += [f"| {tenant} | {count} |" for tenant, count in plan.counts_by_tenant().items()]
    source = f" (config {policy_config})" if policy_config else ""
    lines += ["", f"### Policy pack{source}: {len(violations)} violation(s)"]
    lines += [f"- **{v.policy}** ({v.level}) `{v.resource}`: {v.message}" for v in violations]
    if changes is not None:
        lines += ["", f"### Changes against the snapshot: {len(changes.resources())} resource(s)"]
        lines += [f"- added `{key}`" for key in changes.added]
        lines += [f"- removed `{key}`" for key in changes.removed]
        lines += [f"- changed `{key}`: {', '.join(keys)}" for key, keys in changes.changed.items()]
    return "\n".join(lines) + "\n"
