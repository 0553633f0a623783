"""Reading what moved between two locks (the scheduled upstream check's report)."""

from __future__ import annotations

from deploy.upstream import Change, direct_dependencies, locked_versions, report, version_changes

BEFORE = """
version = 1
[[package]]
name = "mlops-levels"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "mlflow"
version = "3.17.2"

[[package]]
name = "lark"
version = "1.3.1"

[[package]]
name = "numpy"
version = "2.3.0"
"""
AFTER = BEFORE.replace('"3.17.2"', '"3.18.0"').replace(
    'name = "lark"\nversion = "1.3.1"', 'name = "tzdata"\nversion = "2026.1"'
)


def test_the_project_itself_is_not_a_locked_version() -> None:
    assert locked_versions(BEFORE) == {"mlflow": "3.17.2", "lark": "1.3.1", "numpy": "2.3.0"}


def test_moved_added_and_removed_packages_are_the_changes() -> None:
    changes = version_changes(locked_versions(BEFORE), locked_versions(AFTER))
    assert changes == [
        Change("lark", "1.3.1", "-"),
        Change("mlflow", "3.17.2", "3.18.0"),
        Change("tzdata", "-", "2026.1"),
    ]


def test_the_report_puts_the_projects_own_dependencies_in_the_table() -> None:
    text = report(version_changes(locked_versions(BEFORE), locked_versions(AFTER)), {"mlflow", "numpy"})
    assert "| mlflow | 3.17.2 | 3.18.0 |" in text
    assert "1 of the project's own dependencies moved" in text
    assert "and 2 packages they depend on: lark 1.3.1 -> -, tzdata - -> 2026.1." in text


def test_nothing_moved_says_so() -> None:
    assert "nothing moved" in report([], {"mlflow"})


def test_direct_dependencies_come_from_dependencies_extras_and_groups() -> None:
    pyproject = """
[project]
dependencies = ["psycopg[binary]>=3.2,<4", "scikit-learn>=1.9"]
[project.optional-dependencies]
pipeline = ["mlflow>=3.17,<3.19"]
[dependency-groups]
dev = ["pytest>=9", {include-group = "other"}]
"""
    assert direct_dependencies(pyproject) == {"psycopg", "scikit-learn", "mlflow", "pytest"}
