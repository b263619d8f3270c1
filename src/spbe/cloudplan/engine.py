"""Run the real Pulumi program in-process under mocks and record what it registers."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

from spbe.cloudplan.model import STACK_REFERENCE, Plan, ResourceRecord, mask_secrets
from spbe.cloudplan.project import PulumiProject
from spbe.cloudplan.snapshot import read_snapshot
from spbe.errors import InputError, Problem

# Invented outputs use ranges no real cloud hands out, so nobody mistakes them for real.
MOCK_ADDRESSES = ipaddress.IPv4Network("198.18.0.0/15")  # RFC 2544 benchmarking range

ExportsLookup = Callable[[str], dict[str, Any]]


def _mock_address(name: str) -> str:
    digest = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    return str(MOCK_ADDRESSES.network_address + digest % MOCK_ADDRESSES.num_addresses)


class OpenStackMocks(pulumi.runtime.Mocks):
    """Stands in for the OpenStack provider: echoes inputs and fills computed outputs."""

    def __init__(self, stack_exports: ExportsLookup):
        self.stack_exports = stack_exports
        self.router_gateways: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs,
                     ) -> tuple[str | None, dict[Any, Any]]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE:
            stack = str(args.resource_id or inputs.get("name"))
            return stack, {"name": stack, "outputs": self.stack_exports(stack),
                           "secretOutputNames": []}
        resource_id = f"{args.name}-id"
        state = inputs
        if args.typ == "openstack:networking/router:Router":
            fixed = inputs.get("externalFixedIps") or []
            if fixed:
                self.router_gateways[resource_id] = fixed[0].get("ipAddress", "")
        elif args.typ == "openstack:vpnaas/service:Service":
            router = str(inputs.get("routerId"))
            state["externalV4Ip"] = self.router_gateways.get(router, _mock_address(args.name))
        elif args.typ == "openstack:compute/instance:Instance":
            state["accessIpV4"] = _mock_address(args.name)
        elif args.typ == "openstack:loadbalancer/loadBalancer:LoadBalancer":
            state["vipPortId"] = f"{args.name}-vip-port-id"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs,
             ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == "openstack:networking/getNetwork:getNetwork":
            name = args.args.get("name")
            return {"id": f"{name}-network-id", "name": name, "external": True,
                    "subnets": [f"{name}-subnet-id"], "region": "RegionOne",
                    "tenantId": "admin"}, []
        raise NotImplementedError(f"the offline plan has no mock for invoke {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps every registration as the engine would pass it to a policy pack."""

    def __init__(self, mocks: OpenStackMocks):
        super().__init__(mocks)
        self.records: list[ResourceRecord] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.records.append(ResourceRecord(
                urn=response.urn, type=request.type, name=request.name,
                custom=bool(request.custom), parent=request.parent or None,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns)
                                       for k, v in request.propertyDependencies.items()},
                inputs=json_format.MessageToDict(request.object),
                outputs=json_format.MessageToDict(response.object),
                additional_secret_outputs=list(request.additionalSecretOutputs)))
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self.records.append(ResourceRecord(
            urn=response.urn, type=request.type, name=request.name, custom=True,
            parent=request.parent or None, dependencies=list(request.dependencies),
            property_dependencies={}, inputs=json_format.MessageToDict(request.properties),
            outputs=json_format.MessageToDict(response.properties)))
        return response


def record_plan(project: PulumiProject, stack: str, overrides: dict[str, str] | None = None,
                stack_exports: ExportsLookup | None = None) -> Plan:
    """Run the program for `stack` in this process. Mocks are process-global: one stack
    per process (use `plan_in_subprocess` to plan another).

    `stack_exports(stack_name)` answers StackReferences; by default the referenced stack
    of the same project is planned in a subprocess.
    """
    config, secret_keys = project.config(stack, overrides)
    lookup = stack_exports or _subprocess_exports(project, overrides or {})
    return record_program(project.program, project.name, stack, config, secret_keys, lookup)


def record_program(program: Path, project: str, stack: str, config: dict[str, str],
                   secret_keys: list[str], stack_exports: ExportsLookup) -> Plan:
    """Run `program/__main__.py` as `pulumi up` would, with mocks in place of the cloud."""

    def run_main() -> None:
        if str(program) not in sys.path:
            sys.path.insert(0, str(program))
        runpy.run_path(str(program / "__main__.py"), run_name="__main__")

    return record(run_main, project, stack, config, secret_keys, stack_exports)


def record(build: Callable[[], object], project: str, stack: str,
           config: dict[str, str] | None = None, secret_keys: list[str] | None = None,
           stack_exports: ExportsLookup | None = None) -> Plan:
    """Register whatever `build` creates under fresh mocks; also serves component tests."""
    mocks = OpenStackMocks(stack_exports or _no_stack_references)
    monitor = RecordingMonitor(mocks)
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False,
                             monitor=monitor)
    pulumi.runtime.set_all_config(config or {}, secret_keys or [])
    exports: dict[str, Any] = {}

    def run() -> pulumi.Output[Any]:
        build()
        root = pulumi_settings.get_root_resource()
        outputs = dict(getattr(root, "outputs", {}))
        return pulumi.Output.all(**outputs).apply(exports.update)

    pulumi.runtime.test(run)()  # type: ignore[no-untyped-call]
    return Plan(project, stack, monitor.records, exports)


def _no_stack_references(stack: str) -> dict[str, Any]:
    raise LookupError(f"no outputs given for StackReference {stack}")


def _subprocess_exports(project: PulumiProject, overrides: dict[str, str]) -> ExportsLookup:
    def lookup(qualified: str) -> dict[str, Any]:
        parts = qualified.split("/")
        if len(parts) != 3 or parts[1] != project.name:
            raise InputError([Problem(str(project.root), None, f"StackReference {qualified}",
                                      "", f"expected organization/{project.name}/<stack>")])
        inventory = overrides.get("inventory")
        snapshot = plan_in_subprocess(project.root, parts[2],
                                      {"inventory": inventory} if inventory else {})
        exports: dict[str, Any] = snapshot["exports"]
        return exports
    return lookup


def reference_exports(snapshot: Path) -> ExportsLookup:
    """Answer StackReferences from a saved plan snapshot instead of planning again."""
    exports: dict[str, Any] = read_snapshot(snapshot)["exports"]
    return lambda stack: exports


def plan_in_subprocess(root: Path, stack: str, overrides: dict[str, str] | None = None,
                       ) -> dict[str, Any]:
    """Plan one stack in a fresh interpreter; returns its snapshot (secrets masked)."""
    command = [sys.executable, "-m", "spbe.cloudplan.worker", "--project", str(root),
               "--stack", stack]
    for key, value in (overrides or {}).items():
        command += ["--set", f"{key}={value}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode == 2:
        problems = [Problem(**p) for p in json.loads(done.stdout)["problems"]]
        raise InputError(problems)
    if done.returncode != 0:
        raise RuntimeError(f"planning stack {stack} failed:\n{done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def snapshot_json(plan: Plan) -> str:
    return json.dumps(plan.snapshot(), indent=1, sort_keys=True) + "\n"


__all__ = ["OpenStackMocks", "RecordingMonitor", "mask_secrets", "plan_in_subprocess", "record",
           "record_plan", "record_program", "snapshot_json"]
