"""The house rules of docs/architecture.md, kept true: adapters stay adapters, rooms stay small."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("level0_manual", "level1_pipeline", "level2_cicd", "deploy", "shared", "workshop")
# The only modules that construct an MLflow client: the registry and the tracking adapters.
MLFLOW_ADAPTERS = {
    "shared/registry.py",
    "shared/tracking.py",
    "level1_pipeline/tracking.py",
    "level2_cicd/monitoring/tracking.py",
}
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _calls(tree: ast.AST, callee: str) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and ast.unparse(node.func).endswith(callee)
        for node in ast.walk(tree)
    )


def test_the_check_reads_the_sources() -> None:
    assert len(_sources()) > 100
    assert all((ROOT / adapter).is_file() for adapter in MLFLOW_ADAPTERS)


def test_only_the_adapters_construct_an_mlflow_client() -> None:
    found = {_name(p) for p in _sources() if _calls(ast.parse(p.read_text()), "MlflowClient")}
    assert found - MLFLOW_ADAPTERS == set()


def test_no_module_over_300_lines() -> None:
    long = {_name(p): n for p in _sources() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_over_60_lines() -> None:
    long = {
        f"{_name(p)}:{node.name}": node.end_lineno - node.lineno + 1  # type: ignore[operator]
        for p in _sources()
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES  # type: ignore[operator]
    }
    assert long == {}


def test_one_class_per_name() -> None:
    classes: dict[str, list[str]] = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(_name(path))
    assert {name: where for name, where in classes.items() if len(where) > 1} == {}


def test_the_speed_room_is_entered_through_the_service_scorer_only() -> None:
    # The service's teaching path is predict_proba; the faster scorer is a room of its own behind one interface.
    entering = {
        _name(p)
        for p in _sources()
        if "level2_cicd/speed/" not in _name(p)
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("level2_cicd.speed")
    }
    assert entering == {"level2_cicd/service/scorer.py"}


def _runs_as_a_command(tree: ast.Module, path: Path) -> bool:
    guarded = any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body)
    return guarded or path.name == "__main__.py"


def test_every_command_has_one_shape() -> None:
    # main(argv: list[str] | None = None) -> int, called only under the `__name__ == "__main__"` guard.
    shapes: dict[str, str] = {}
    for path in _sources():
        tree = ast.parse(path.read_text())
        if not _runs_as_a_command(tree, path):
            continue
        mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
        signature = (
            f"({ast.unparse(mains[0].args)}) -> {ast.unparse(mains[0].returns or ast.Constant(None))}" if mains else ""
        )
        called_bare = any(isinstance(n, ast.Expr) and "main(" in ast.unparse(n) for n in tree.body)
        imported = any(isinstance(n, ast.ImportFrom) and any(a.name == "main" for a in n.names) for n in tree.body)
        if imported:  # a __main__.py that runs the package's CLI module's main
            signature = "(argv: list[str] | None=None) -> int"
        shapes[_name(path)] = signature + (" called at import" if called_bare else "")
    assert len(shapes) > 15
    assert {name: shape for name, shape in shapes.items() if shape != "(argv: list[str] | None=None) -> int"} == {}


# Imports sit at the top of a module. A function may import only what is slow to import (these libraries, or a
# module of ours that imports one at its top; docs/architecture.md has the figures) or a module that imports the
# function's own module (a cycle).
SLOW_TO_IMPORT = {
    "mlflow",
    "prefect",
    "prefect_dask",
    "great_expectations",
    "evidently",
    "sklearn",
    "matplotlib",
    "dask",
    "distributed",
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]


def _top_imports(tree: ast.Module) -> set[str]:
    """What a module imports when it is imported (not under ``if TYPE_CHECKING``, not inside a function)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(_imported(node))
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
    return found


def _inner_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return [n for f in functions for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)]


def test_an_import_inside_a_function_is_slow_to_import_or_closes_a_cycle() -> None:
    trees = {_module(p): ast.parse(p.read_text()) for p in _sources()}
    graph = {name: _top_imports(tree) for name, tree in trees.items()}

    def reachable(start: str) -> set[str]:
        """``start`` and every module it imports, directly or not, when it is imported."""
        seen: set[str] = set()
        pending = [start]
        while pending:
            if (name := pending.pop()) not in seen:
                seen.add(name)
                pending += graph.get(name, ())
        return seen

    def slow(modules: set[str]) -> bool:
        return any(module.split(".")[0] in SLOW_TO_IMPORT for module in modules)

    # given the import graph, which follows a module's imports to the slow libraries behind it
    assert slow(reachable("level1_pipeline.flow"))
    assert not slow(reachable("shared.schema"))
    # then every import inside a function is of a slow module, or of one that imports the function's own module
    offenders = [
        f"{name}:{node.lineno} {ast.unparse(node)}"
        for name, tree in trees.items()
        for node in _inner_imports(tree)
        for imported in _imported(node)
        if not slow(found := reachable(imported)) and name not in found
    ]
    assert offenders == []
