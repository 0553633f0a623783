"""Each level's README opens its story with the files to read first; the line counts it states are true."""

import re

import pytest

from shared.project import PROJECT_ROOT

LEVELS = ("level0_manual", "level1_pipeline", "level2_cicd")
ROW = re.compile(r"^\| \[`([^`]+)`\]\(([^)]+)\) \| (\d+) \|", re.MULTILINE)


@pytest.mark.parametrize("level", LEVELS)
def test_the_reading_path_names_files_that_exist_with_their_true_line_counts(level: str) -> None:
    readme = (PROJECT_ROOT / level / "README.md").read_text()
    section = readme.split("## Read these files first", 1)[1].split("\n## ", 1)[0]
    rows = ROW.findall(section)
    assert rows, f"{level}/README.md has no reading path"
    counted = {link: len((PROJECT_ROOT / level / link).read_text().splitlines()) for _, link, _ in rows}
    assert {link: int(stated) for _, link, stated in rows} == counted
    assert f"{sum(counted.values())} lines in all" in section
