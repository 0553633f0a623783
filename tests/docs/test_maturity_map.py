"""The maturity map quotes every cell of the seed word for word and names only files and tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from workshop.maturity_map import MAP_MD, SEED, TITLES, MaturityMap, Row, load_map, render, seed_cells

ROOT = Path(__file__).parents[2]
HANDED_OVER = ROOT.parent / "shared" / "seed" / "000_cc4afbc919045062.txt"


def test_the_seed_in_the_repository_is_the_one_handed_over() -> None:
    if not HANDED_OVER.is_file():
        pytest.skip(f"{HANDED_OVER} is not beside this checkout")
    assert SEED.read_bytes() == HANDED_OVER.read_bytes()


def test_every_cell_of_the_seed_is_quoted_word_for_word_in_the_seeds_order() -> None:
    mapping, seed = load_map(), seed_cells(SEED.read_text())
    for model in TITLES:
        assert list(mapping.cells(model).items()) == list(seed[model].items()), model
    assert len(mapping.azure) == len(seed["azure"])  # Azure's cells are quoted whole, one row each


def test_a_reworded_or_dropped_bullet_does_not_match_the_seed() -> None:
    # given the map with one AWS bullet reworded, and the map with one Google bullet dropped
    mapping, seed = load_map(), seed_cells(SEED.read_text())
    reworded = mapping.model_copy(
        update={"aws": (mapping.aws[0].model_copy(update={"quote": "Siloed"}), *mapping.aws[1:])}
    )
    dropped = mapping.model_copy(update={"google": mapping.google[1:]})
    # then neither quotes the seed
    assert reworded.cells("aws") != seed["aws"]
    assert dropped.cells("google") != seed["google"]


def test_a_row_needs_exactly_one_kind_of_evidence_or_a_gap() -> None:
    with pytest.raises(ValidationError, match="give one of proved_by, organisational, absent"):
        Row(level="x", quote="y", shown_by=("README.md",))
    with pytest.raises(ValidationError, match="give one of"):
        Row(level="x", quote="y", shown_by=("README.md",), proved_by=("t",), absent="z")


def test_the_markdown_map_is_the_rendered_yaml() -> None:
    assert MAP_MD.read_text() == render(load_map()), "run `make maturity-map`"


def _rows(mapping: MaturityMap) -> list[Row]:
    return [row for model in TITLES for row in mapping.rows(model)]


def test_every_named_file_and_test_exists() -> None:
    missing = []
    for row in _rows(load_map()):
        missing += [name for name in row.shown_by if not (ROOT / name).exists()]
        for test in row.proved_by:
            path, _, name = test.partition("::")
            file = ROOT / path
            if not file.is_file() or not re.search(
                rf"^(async )?def {re.escape(name)}\(", file.read_text(), re.MULTILINE
            ):
                missing.append(test)
    assert missing == []


def test_the_release_cells_point_at_the_release_tests() -> None:
    # A/B testing and human signoff (issue 11) are built: their cells name the tests that run them, no gap
    rows = {row.quote: row for row in load_map().azure}
    ab = rows["Automated, CI/CD pipeline set up, everything is version controlled, A/B testing has been added"]
    signoff = rows["Semi-automated, unit and integration test added, still needs human signoff"]
    assert (ab.gap, signoff.gap) == ("", "")
    assert any("test_release_variants.py" in test for test in ab.proved_by)
    assert any("test_release.py::test_with_the_approval_policy" in test for test in signoff.proved_by)
