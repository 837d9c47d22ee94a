"""The layers import downwards only and no module imports itself round a cycle (read from the source).

Layers, bottom up:

* ``geodata`` (places, roads, ferries, land, travel) and ``solver`` (the allocation model) import nothing
  from the other layers: neither knows the product, the maps or each other;
* ``maps`` is pure rendering: it may import ``geodata``, never ``solver`` or ``commissioning``;
* ``commissioning`` (the product: files, scenarios, runs, results, report, CLI) may import all of them.

Every ``import`` counts, at the top of a module or inside a function: a function-level import is still an
arrow (it only runs later). The test reads the files with :mod:`ast`, so it sees every arrow without
importing anything.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("commissioning", "geodata", "maps", "solver")
# What each layer may import, besides itself.
ALLOWED = {
    "geodata": set(),
    "solver": set(),
    "maps": {"geodata"},
    "commissioning": {"geodata", "maps", "solver"},
}
def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports: ``from a.b import c`` is ``a.b.c`` when that is a module,
    else ``a.b``; relative imports are resolved against the package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base if f"{base}.{alias.name}" not in known else f"{base}.{alias.name}"
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import a.b.c`` of a name inside a module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def layer(name: str) -> str:
    return name.split(".")[0]


def wrong_way_arrows(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {
        (source, target)
        for source, targets in edges.items()
        for target in targets
        if layer(target) != layer(source) and layer(target) not in ALLOWED[layer(source)]
    }


def test_the_graph_sees_the_project():
    edges = graph()
    assert {"commissioning.cli", "geodata.network", "maps.render", "solver.core"} <= set(edges)
    assert "maps.layers" in edges["maps.render"]  # a top-level import
    assert "commissioning.inputs.folder" in edges["commissioning.cli.commands.validate"]  # inside a function


def test_every_layer_imports_only_the_layers_below_it():
    arrows = sorted(wrong_way_arrows(graph()))
    assert not arrows, "imports against the layers (see this module's docstring):\n" + "\n".join(
        f"  {source} -> {target}" for source, target in arrows
    )


def test_no_import_cycles():
    edges = graph()
    try:
        list(TopologicalSorter(edges).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(reversed(error.args[1]))}") from None


@pytest.mark.parametrize("argv", [["users", "list", "--data", "{tmp}"], ["validate", "{tmp}"]])
def test_commands_that_do_not_solve_do_not_load_the_solver(argv, tmp_path):
    """Defect: every command, even ``users list``, loaded OR-Tools and pandas through the solver package
    while its parser was built (the export-instance and solve-instance options): 2.5 s for ``users list``,
    1.3 s without. A command's parser is now built alone (the full one for the help of all commands)."""
    import subprocess
    import sys

    words = [word.format(tmp=tmp_path) for word in argv]
    code = (
        "import sys\nfrom commissioning.cli import main\n"
        f"try:\n    main({words!r})\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if 'ortools' in sys.modules else 'NOT LOADED', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded == "NOT LOADED", done.stderr


def test_the_cli_s_help_and_the_solver_s_switches_load_no_solver_engine():
    """Regression: ``commissioning --help`` took about a second: reading the switches (``solver.data``) ran
    the package's ``__init__``, which loaded OR-Tools, HiGHS and pandas. ``solve`` now loads them on first
    use, and is still the function whichever of the package and its ``solver.core`` is imported first."""
    import subprocess
    import sys

    probe = ("import sys; from commissioning.cli import main; sys.argv = ['commissioning', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('ortools', 'highspy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    order = "import solver.core; from solver import solve, Result; print(callable(solve), Result.__name__)"
    out = subprocess.run([sys.executable, "-c", order], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["True", "Result"]
