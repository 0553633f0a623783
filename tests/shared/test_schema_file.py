"""The project's schema file (config/schema.yaml): a wrong entry is named with the file, the key and the rule."""

from collections.abc import Callable
from pathlib import Path

import pytest

from shared.policy_file import PolicyError
from shared.schema import DECLARATION_FILE, read_declaration

Write = Callable[[str], Path]
COLUMNS = "id_column: row_id\ntime_column: seen_at\nlabel_column: outcome\n"


def test_the_projects_file_is_the_schema_in_force() -> None:
    import yaml

    from shared import schema

    # read the file as plain YAML, not through the module's reader, and compare with what every level uses
    written = yaml.safe_load(DECLARATION_FILE.read_text())
    columns = (written["id_column"], written["time_column"], written["label_column"])
    assert columns == (schema.ID_COLUMN, schema.TIME_COLUMN, schema.LABEL_COLUMN)
    assert tuple(entry["name"] for entry in written["features"]) == schema.FEATURE_NAMES
    assert [f.kind.value for f in schema.FEATURES] == [entry["kind"] for entry in written["features"]]


def test_a_declaration_of_another_shape_reads(written_policy: Write) -> None:
    text = COLUMNS + "features:\n  - {name: size, kind: integer, description: How big., minimum: 0}\n"
    declared = read_declaration(written_policy(text))
    assert (declared.time_column, declared.features[0].minimum, declared.features[0].maximum) == ("seen_at", 0, None)


@pytest.mark.parametrize(
    ("feature", "named"),
    [
        ("{name: size, kind: text, description: x}", r"features\.0\.kind: Input should be 'integer'"),
        ("{name: size, kind: categorical, description: x}", "size: a categorical feature lists its categories"),
        ("{name: size, kind: numeric, description: x, minimum: 5, maximum: 1}", "size: minimum 5 is above maximum 1"),
        ("{name: size, kind: numeric, description: x, categories: [a]}", "size: only a categorical feature has"),
        ("{name: my size, kind: numeric, description: x}", r"features\.0\.name: String should match pattern"),
        ("{name: size, kind: numeric, descr: x}", r"features\.0\.descr: Extra inputs are not permitted"),
        ("{name: outcome, kind: numeric, description: x}", "every column name appears once .repeated: outcome"),
    ],
)
def test_a_wrong_entry_names_the_file_the_key_and_the_rule(feature: str, named: str, written_policy: Write) -> None:
    path = written_policy(COLUMNS + f"features:\n  - {feature}\n")
    with pytest.raises(PolicyError, match=f"{path}: .*{named}"):
        read_declaration(path)
