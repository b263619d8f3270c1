"""The Pulumi project on disk: Pulumi.yaml, Pulumi.<stack>.yaml and the program folder."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from spbe.errors import InputError, Problem
from spbe.inventory.yamlfile import read_yaml

# Stands in for `secure:` values and unset secret keys: the offline plan cannot decrypt
# and must never see a real key.
OFFLINE_SECRET = "offline-plan-placeholder"


@dataclass(frozen=True)
class PulumiProject:
    root: Path
    name: str
    program: Path
    declared: dict[str, dict[str, Any]]  # Pulumi.yaml `config:` declarations

    @classmethod
    def load(cls, root: Path) -> PulumiProject:
        path = root / "Pulumi.yaml"
        data = _read(path)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise InputError([Problem(str(path), None, "name", "", "project name is missing")])
        program = root / str(data.get("main") or ".")
        if not (program / "__main__.py").is_file():
            raise InputError([Problem(str(path), None, "main", "",
                                      f"no __main__.py in {program}")])
        declared = data.get("config") or {}
        return cls(root, name, program, {str(k): dict(v or {}) for k, v in declared.items()})

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")]
                      for p in self.root.glob("Pulumi.*.yaml"))

    def config(self, stack: str, overrides: dict[str, str] | None = None,
               ) -> tuple[dict[str, str], list[str]]:
        """Config the way `pulumi up` would see it: declared defaults, then the stack file,
        then overrides; keys namespaced (`project:key`). Returns (config, secret keys)."""
        if stack not in self.stacks():
            known = ", ".join(self.stacks()) or "none"
            raise InputError([Problem(str(self.root), None, f"stack '{stack}'", "",
                                      f"no Pulumi.{stack}.yaml; known stacks: {known}")])
        values: dict[str, str] = {}
        secrets: list[str] = []
        for key, declaration in self.declared.items():
            full = self._namespaced(key)
            if "default" in declaration:
                values[full] = _text(declaration["default"])
            if declaration.get("secret"):
                values.setdefault(full, OFFLINE_SECRET)
                secrets.append(full)
        stack_file = self.root / f"Pulumi.{stack}.yaml"
        stack_config = _read(stack_file).get("config") or {}
        unknown = [str(key) for key in stack_config if not self._is_declared(str(key))]
        document = read_yaml(stack_file, str(stack_file))[0] if unknown else None
        problems = [self._unknown_key(str(stack_file), key,
                                      document.line(("config", key)) if document else None)
                    for key in unknown]
        problems += [self._unknown_key("--set", key) for key in overrides or {}
                     if not self._is_declared(key)]
        if problems:
            raise InputError(problems)
        for key, value in stack_config.items():
            full = self._namespaced(str(key))
            if isinstance(value, dict) and "secure" in value:
                values[full] = OFFLINE_SECRET
                secrets.append(full)
            else:
                values[full] = _text(value)
        for key, value in (overrides or {}).items():
            values[self._namespaced(key)] = value
        return values, sorted(set(secrets))

    def _namespaced(self, key: str) -> str:
        return key if ":" in key else f"{self.name}:{key}"

    def _is_declared(self, key: str) -> bool:
        """Keys of this project must be declared in Pulumi.yaml; other namespaces
        (`openstack:cloud`) belong to providers and pass."""
        full = self._namespaced(key)
        if not full.startswith(f"{self.name}:"):
            return True
        return full in {self._namespaced(k) for k in self.declared}

    def _unknown_key(self, source: str, key: str, line: int | None = None) -> Problem:
        known = sorted(self._namespaced(k).split(":", 1)[1] for k in self.declared)
        bare = self._namespaced(key).split(":", 1)[1]
        close = difflib.get_close_matches(bare, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
        return Problem(source, line, key, "",
                       f"unknown config key (not declared in {self.root / 'Pulumi.yaml'}'s "
                       f"config); {hint}")


def _text(value: Any) -> str:
    # Pulumi hands every config value to the program as a string (objects as JSON).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, "(file)", "", "not found")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(str(path), None, "(file)", "", f"malformed YAML: {exc}")]
                         ) from None
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 1, "(top level)", "", "must be a mapping")])
    return data
