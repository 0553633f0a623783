"""Level 0's "manual deployment": score a CSV with a hand-off model file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import joblib

from shared.data.files import load_table, write_atomically
from shared.model import predict_proba
from shared.schema import SchemaError


def score_file(model_file: Path, input_file: Path, output_file: Path) -> int:
    """Write ``input_file`` plus probability and prediction columns to ``output_file``."""
    bundle = joblib.load(model_file)
    frame = load_table(input_file)
    scored = frame.assign(probability=predict_proba(bundle["model"], frame))
    scored["prediction"] = (scored["probability"] >= bundle["threshold"]).astype("int64")
    write_atomically(scored, output_file)
    return len(scored)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True, help="hand-off model.joblib")
    parser.add_argument("--input", type=Path, required=True, help="CSV or Parquet with the schema's features")
    parser.add_argument("--output", type=Path, required=True, help="where to write the scored file")
    args = parser.parse_args(argv)
    try:
        rows = score_file(args.model, args.input, args.output)
    except (SchemaError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"scored {rows} rows -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
