"""What a plan is: the resources a `pulumi up` would register, and the stack's exports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIGNATURE = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASKED = "[secret]"
SHARED = "(shared)"
TENANT_COMPONENT = "spbe:dc:Tenant"
PROJECT_TYPE = "openstack:identity/project:Project"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE


def unwrap_secrets(value: Any) -> Any:
    """Secret envelopes replaced by their values, as CrossGuard hands props to policies."""
    if is_secret(value):
        return unwrap_secrets(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def mask_secrets(value: Any) -> Any:
    """Secret envelopes replaced by a marker: safe to print and to commit."""
    if is_secret(value):
        return MASKED
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE_KEY) == RESOURCE_SIGNATURE:
            return {"$ref": value.get("urn")}
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    return value


@dataclass(frozen=True)
class ResourceRecord:
    """One RegisterResource (or ReadResource) call; inputs in the engine's wire form."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Stable name across stacks and runs: type and logical name."""
        return f"{self.type}::{self.name}"

    @property
    def short_type(self) -> str:
        """`openstack:firewall/ruleV2:RuleV2` -> `firewall/RuleV2`."""
        package, _, rest = self.type.partition(":")
        module, _, kind = rest.partition(":")
        if package in ("openstack",):
            return f"{module.split('/')[0]}/{kind}"
        return self.type


@dataclass
class Plan:
    project: str
    stack: str
    records: list[ResourceRecord]
    exports: dict[str, Any]

    def custom_records(self) -> list[ResourceRecord]:
        return [r for r in self.records if r.custom]

    def counts_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(r.short_type for r in self.custom_records()).items()))

    def tenant_of(self) -> dict[str, str]:
        """urn -> OPD project name, for every resource inside a tenant component."""
        by_urn = {r.urn: r for r in self.records}
        project_names = {r.parent: str(r.inputs.get("name")) for r in self.records
                         if r.type == PROJECT_TYPE and r.parent}
        found: dict[str, str] = {}
        for record in self.records:
            parent = record.parent
            while parent is not None and parent in by_urn:
                if by_urn[parent].type == TENANT_COMPONENT:
                    found[record.urn] = project_names.get(parent, by_urn[parent].name)
                    break
                parent = by_urn[parent].parent
        return found

    def counts_by_tenant(self) -> dict[str, int]:
        tenants = self.tenant_of()
        counts = Counter(tenants.get(r.urn, SHARED) for r in self.custom_records())
        return dict(sorted(counts.items()))

    def snapshot(self) -> dict[str, Any]:
        """The reviewable, committable form: no secrets, no mock outputs, stable order."""
        names = {r.urn: r.key for r in self.records}
        if len(set(names.values())) != len(names):
            clashes = sorted(k for k, n in Counter(names.values()).items() if n > 1)
            raise ValueError(f"resources share a type and name: {', '.join(clashes)}")
        resources = {}
        for record in sorted(self.records, key=lambda r: r.key):
            resources[record.key] = {
                "parent": names.get(record.parent or ""),
                "inputs": mask_secrets(record.inputs),
                "dependencies": sorted(names.get(d, d) for d in record.dependencies),
            }
        return {
            "format": 1,
            "project": self.project,
            "stack": self.stack,
            "resource_count": len(self.custom_records()),
            "counts_by_type": self.counts_by_type(),
            "counts_by_tenant": self.counts_by_tenant(),
            "exports": mask_secrets(self.exports),
            "resources": resources,
        }
