"""Process defaults of entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import jsonschema, sys
jsonschema.validate({"a": 1}, {"type": "object", "properties": {"a": {"type": "integer"}}})
print("iri" in jsonschema.FormatChecker.checkers, "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"])
"""


@pytest.mark.slow  # a fresh process
def test_no_process_compiles_jsonschemas_unused_iri_checker() -> None:
    # given a fresh process of the locked environment (pyproject.toml overrides rfc3987-syntax away)
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    # then jsonschema still validates, without the iri format (nothing here checks it) and without its module
    assert done.stdout.split() == ["False", "False"]
