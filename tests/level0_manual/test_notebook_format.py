from pathlib import Path

import jupytext

NOTEBOOK = Path(__file__).parents[2] / "level0_manual" / "notebook.py"


def test_level0_script_opens_as_a_notebook_with_markdown_and_code_cells() -> None:
    notebook = jupytext.read(NOTEBOOK)
    kinds = {cell.cell_type for cell in notebook.cells}
    assert kinds == {"markdown", "code"}
    assert len(notebook.cells) >= 10
