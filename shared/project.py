"""Where the project is: its root folder (the one definition; `deploy/doctor.py` and `deploy/template_update.py`
run with plain python3 before the environment exists and define their own)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
