"""Set one value of a YAML file in place, with a comment, keeping every other line as it was.

Used by `make calibrate`: the project's files keep their layout and comments, so the change is one reviewable diff.
Keys are dotted (``data_gate.min_rows``); a key the file lacks is added under its parent (or at the end).
"""

from __future__ import annotations

import re
from pathlib import Path

INDENT = "  "


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _find(lines: list[str], key: str, start: int, end: int, depth: int) -> int | None:
    """The line of ``key`` at indentation ``depth`` between ``start`` and ``end``."""
    pattern = re.compile(rf"^{INDENT * depth}{re.escape(key)}:(\s|$)")
    return next((i for i in range(start, end) if pattern.match(lines[i])), None)


def _block_end(lines: list[str], at: int) -> int:
    """The line after the block that the key on line ``at`` opens (its deeper-indented lines)."""
    depth = _indent(lines[at])
    for i in range(at + 1, len(lines)):
        if lines[i].strip() and not lines[i].lstrip().startswith("#") and _indent(lines[i]) <= depth:
            return i
    return len(lines)


def set_value(text: str, dotted: str, value: object, comment: str) -> str:
    """``text`` with ``dotted`` set to ``value`` and its comment replaced by ``comment``."""
    lines = text.splitlines()
    start, end, depth = 0, len(lines), 0
    *parents, key = dotted.split(".")
    for parent in parents:
        found = _find(lines, parent, start, end, depth)
        if found is None:
            lines[end:end] = [f"{INDENT * depth}{parent}:"]
            found, end = end, end + 1
        start, end, depth = found + 1, _block_end(lines, found), depth + 1
    line = f"{INDENT * depth}{key}: {value}  # {comment}"
    at = _find(lines, key, start, end, depth)
    if at is None:
        lines[end:end] = [line]
    else:
        lines[at] = line
    return "\n".join(lines) + "\n"


def write_whole(path: Path, text: str) -> None:
    """Replace the file at once (a temporary file moved into place): never half-written."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
