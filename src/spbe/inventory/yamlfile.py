"""Read YAML with line numbers, so that every problem can point at a line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is ten times faster; the pure-Python loader gives the same nodes
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from spbe.errors import Problem

Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed content plus the line of every mapping key and list item."""

    file: str
    data: Any
    node: yaml.Node
    _lines: dict[Path_, int] | None = field(default=None, repr=False)

    @property
    def lines(self) -> dict[Path_, int]:
        # Built on first use: valid input never needs it, and 10,000 sites make it costly.
        if self._lines is None:
            self._lines = {}
            _index_lines(self.node, (), self._lines)
        return self._lines

    def line(self, path: Path_) -> int | None:
        """Line of the deepest known node on `path`."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def entry(self, path: Path_) -> tuple[str, str]:
        """Split a location into (entry, field) for an error message.

        The entry is the closest list item (named by its id when it has one) or the
        top-level key; the field is the rest of the path.
        """
        last_index = max((i for i, part in enumerate(path) if isinstance(part, int)), default=-1)
        split = last_index + 1 if last_index >= 0 else min(len(path), 1)
        head, rest = path[:split], path[split:]
        name = _render_path(head) or "(top level)"
        item = _lookup(self.data, head)
        if isinstance(item, dict):
            ident = item.get("id", item.get("hostname"))
            if isinstance(ident, str | int):
                name = f"{name} (id={ident!s})"
        return name, ".".join(str(p) for p in rest)


def _render_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _lookup(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _index_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines)


def read_text(path: Path, display: str, entry: str = "(file)",
              ) -> tuple[str | None, list[Problem]]:
    """A UTF-8 text file's content, or the problem that stops reading it."""
    try:
        return path.read_text(encoding="utf-8"), []
    except FileNotFoundError:
        reason = "file is missing"
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror})"
    return None, [Problem(display, None, entry, "", reason)]


def read_yaml(path: Path, display: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one file; on failure return the problems instead of raising."""
    text, problems = read_text(path, display)
    if text is None:
        return None, problems
    try:
        loader = _Loader(text)
        try:  # compose once and construct from the same nodes that carry the line marks
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = f"malformed YAML: {exc.problem or exc.context}"
        return None, [Problem(display, line, "(file)", "", reason)]
    except yaml.YAMLError as exc:
        return None, [Problem(display, None, "(file)", "", f"malformed YAML: {exc}")]
    if node is None or data is None:
        return None, [Problem(display, None, "(file)", "", "file is empty")]
    if not isinstance(data, dict):
        kind = type(data).__name__
        return None, [
            Problem(display, 1, "(top level)", "", f"must be a mapping of keys, found {kind}")
        ]
    document = YamlDocument(display, data, node)
    return document, _duplicate_keys(document, node, ())


def _duplicate_keys(document: YamlDocument, node: yaml.Node, path: Path_) -> list[Problem]:
    """YAML keeps the last of two equal keys without a word; an inventory must not."""
    problems = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_line:
                entry, field_name = document.entry((*path, key))
                problems.append(Problem(
                    document.file, line, entry, field_name,
                    f"duplicate key {key!r} (first at line {first_line[key]}); "
                    "YAML would silently keep only the last value"))
            else:
                first_line[key] = line
            problems += _duplicate_keys(document, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(document, item, (*path, index))
    return problems
