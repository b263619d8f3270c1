"""Read and type-check the stack config (Pulumi.<stack>.yaml) into StackSettings."""

from __future__ import annotations

from pathlib import Path

import pulumi

from dcinfra.site import StackSettings
from spbe.errors import InputError, Problem

REPO_ROOT = Path(__file__).resolve().parents[2]


def read_settings(config: pulumi.Config) -> StackSettings:
    """Every missing or mistyped key is reported at once, naming the stack file."""
    stack_file = f"Pulumi.{pulumi.get_stack()}.yaml"
    problems: list[Problem] = []

    def text(key: str, default: str | None = None) -> str:
        value = config.get(key) or default
        if value is None:
            problems.append(Problem(stack_file, None, f"spbe-padang:{key}", "",
                                    "required setting is missing"))
            return ""
        return value

    def number(key: str, default: int | None = None) -> int:
        try:
            value = config.get_int(key)
        except pulumi.ConfigTypeError:
            problems.append(Problem(stack_file, None, f"spbe-padang:{key}", "",
                                    f"must be a whole number, got {config.get(key)!r}"))
            return 0
        if value is None:
            if default is None:
                problems.append(Problem(stack_file, None, f"spbe-padang:{key}", "",
                                        "required setting is missing"))
                return 0
            return default
        return value

    settings = StackSettings(
        stack_file=stack_file,
        datacenter=text("datacenter"),
        active_site=text("active_site"),
        external_network=text("external_network", "public"),
        image=text("image"),
        flavor=text("flavor"),
        instances_per_service=number("instances_per_service", 2),
        quota_percent=number("quota_percent", 100),
        data_volume_gb=number("data_volume_gb"),
        database_volume_backend=text("database_volume_backend"),
        primary_stack=config.get("primary_stack") or None,
        inventory_dir=REPO_ROOT / text("inventory", "inventories"),
    )
    if problems:
        raise InputError(problems)
    return settings
