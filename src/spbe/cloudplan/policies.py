"""Evaluate the policy pack's own functions on a recorded plan, in-process.

The policies come from `policies/pulumi/padang_policies.py` (the module the real pack
imports) and are called through pulumi_policy's public argument classes, as CrossGuard's
analyzer would call them: resource policies see inputs, stack policies see outputs with
parents and dependencies wired up, secrets unwrapped, unknowns guarded.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from dataclasses import asdict, dataclass
from inspect import isawaitable
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from spbe.cloudplan.model import Plan, ResourceRecord, unwrap_secrets
from spbe.errors import InputError, Problem

POLICY_MODULE = "padang_policies.py"

Policy = ResourceValidationPolicy | StackValidationPolicy


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # mandatory, advisory, or unknown (a value only known after `pulumi up`)
    resource: str | None  # type::name
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_policies(pack: Path) -> list[Policy]:
    """Import the pack's policy module by path (never its __main__.py)."""
    path = pack / POLICY_MODULE
    spec = importlib.util.spec_from_file_location("padang_policies", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise InputError([Problem(str(path), None, "(file)", "", "policy module not found")])
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.POLICIES)


def load_config(path: Path | None) -> dict[str, dict[str, Any]]:
    """A `--policy-pack-config` file: {policy name: {property: value}}."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), None, "(file)", "", str(exc))]) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError([Problem(str(path), None, "(top level)", "",
                                  "must map policy names to objects")])
    return data


def _config(policy: Policy, given: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Schema defaults overlaid by the config file, as the engine applies them."""
    values = {}
    if policy.config_schema is not None:
        values = {k: v["default"] for k, v in policy.config_schema.properties.items()
                  if "default" in v}
    values.update(given.get(policy.name, {}))
    return values


def _options(record: ResourceRecord) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=record.additional_secret_outputs, parent=record.parent)


def _run(result: Any) -> None:
    if isawaitable(result):
        asyncio.new_event_loop().run_until_complete(result)


def _level(policy: Policy) -> EnforcementLevel:
    return policy.enforcement_level or EnforcementLevel.ADVISORY


@dataclass
class _Reporter:
    """The `report` callback for one policy (and one resource, for resource policies)."""

    policy: str
    level: str
    keys: dict[str, str]
    found: list[Violation]
    resource: str | None = None

    def __call__(self, message: str, urn: str | None = None) -> None:
        resource = self.keys.get(urn or "", self.resource)
        self.found.append(Violation(self.policy, self.level, resource, message))


def evaluate(policies: list[Policy], plan: Plan,
             config: dict[str, dict[str, Any]] | None = None) -> list[Violation]:
    config = config or {}
    found: list[Violation] = []
    records = [r for r in plan.records if r.custom]
    keys = {r.urn: r.key for r in plan.records}
    for policy in policies:
        level = _level(policy)
        if level == EnforcementLevel.DISABLED:
            continue
        settings = _config(policy, config)
        if isinstance(policy, ResourceValidationPolicy):
            for record in records:
                args = ResourceValidationArgs(
                    record.type, unknown_checking_proxy(unwrap_secrets(record.inputs)),
                    record.urn, record.name, _options(record), None, settings)
                report = _Reporter(policy.name, level.value, keys, found, record.key)
                try:
                    _run(policy.validate(args, report))
                except UnknownValueError as exc:
                    found.append(Violation(policy.name, "unknown", record.key, exc.message))
        else:
            stack_args = StackValidationArgs(_stack_resources(plan), settings)
            try:
                _run(policy.validate(stack_args, _Reporter(policy.name, level.value, keys, found)))
            except UnknownValueError as exc:
                found.append(Violation(policy.name, "unknown", None, exc.message))
    return found


def _stack_resources(plan: Plan) -> list[PolicyResource]:
    """Resources as AnalyzeStack sees them: outputs, with parent and dependency links."""
    by_urn = {
        r.urn: PolicyResource(r.type, unknown_checking_proxy(unwrap_secrets(r.outputs)), r.urn,
                              r.name, _options(r), None, None, [], {})
        for r in plan.records if r.custom
    }
    for record in plan.records:
        resource = by_urn.get(record.urn)
        if resource is None:
            continue
        resource.parent = by_urn.get(record.parent or "")
        resource.dependencies = [by_urn[d] for d in record.dependencies if d in by_urn]
        resource.property_dependencies = {
            prop: [by_urn[d] for d in urns if d in by_urn]
            for prop, urns in record.property_dependencies.items()
        }
    return list(by_urn.values())
