"""The maturity map only names files, tests and targets that exist, and covers every cell."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[2]
MAP = ROOT / "docs" / "maturity-map.md"
# Cells per (model, level): Google's characteristics and components, Azure's and AWS's four columns.
EXPECTED_CELLS = {
    ("Google", "0"): 7,
    ("Google", "1"): 11,
    ("Google", "2"): 6,
    **{("Azure", str(level)): 4 for level in range(1, 5)},
    **{("AWS", level): 4 for level in ("Initial", "Repeatable", "Reliable", "Scalable")},
}


def rows() -> list[list[str]]:
    found = []
    for line in MAP.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in {"Google", "Azure", "AWS"}:
            found.append(cells)
    return found


def references(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def defines(file: Path, test: str) -> bool:
    return re.search(rf"^def {re.escape(test)}\(", file.read_text(), flags=re.MULTILINE) is not None


def test_every_cell_of_the_three_models_is_mapped() -> None:
    counts = Counter((r[0], r[1]) for r in rows())
    assert counts == EXPECTED_CELLS


def test_every_row_names_an_implementation_and_a_proof() -> None:
    for model, level, cell, implemented, proved in rows():
        assert references(implemented), f"{model} {level} {cell}: no file named"
        assert references(proved) or proved.startswith("organisational"), f"{model} {level} {cell}: no proof"


def test_every_referenced_file_and_test_exists() -> None:
    missing = []
    for row in rows():
        for ref in references(row[3]) + references(row[4]):
            path, _, test = ref.partition("::")
            if "/" not in path and "." not in path:
                continue  # an option or identifier in prose, e.g. `champion`
            target = ROOT / path
            if not target.exists() or (
                test and not re.search(rf"^def {re.escape(test)}\(", target.read_text(), flags=re.MULTILINE)
            ):
                missing.append(ref)
    assert missing == []
