"""The package's shape holds: one direction of data, cheap imports, edges at the edge.

Read from the code's own imports (``ast``, no third-party tool) and from what a fresh
interpreter loads. The rules are those of ``docs/extending.md`` ("The shape of the package"):

* no import cycle among module-level imports (``TYPE_CHECKING`` blocks are for type checkers and
  are left out; a function-level import is a deliberate lazy load and is checked separately);
* no upward import: each core module belongs to a layer of the data flow and imports, anywhere
  in its code, only from its own layer and the layers before it;
* the nouns, stage 1, the problem as data, the distribution, the lottery, the draw and the audit
  load no solver (neither ``civicsortition.backends`` nor ``civicsortition.algorithms``, nor
  SciPy's optimisers, PuLP or highspy), at import or anywhere in their code;
* the edges (``io``, ``research``, ``examples``, ``cli``) are imported by no core module;
* an algorithm module never imports another algorithm module;
* no module is longer than 800 lines;
* ``import civicsortition`` loads no SciPy, and old import paths warn and still work.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import civicsortition

SRC = Path(civicsortition.__file__).resolve().parent
PACKAGE = "civicsortition"
MAX_LINES = 800

#: Modules kept only to forward an old path (see ``civicsortition._deprecated``).
FORWARDERS = {f"{PACKAGE}.{m}" for m in ("corpus", "experiments", "peer", "pipeline", "synthetic")}
EDGES = ("io", "research", "examples", "cli", "__main__")
SOLVERS = (f"{PACKAGE}.backends", f"{PACKAGE}.algorithms")
#: Modules that must not load a solver, at import or anywhere in their code.
NO_SOLVER = ("_typing", "numerics", "errors", "seeds", "strata", "pool", "census", "dropout",
             "apportionment", "biproportional", "quotas", "invitations", "registrations", "program",
             "diagnostics", "distribution", "lottery", "draw", "audit", "vote", "fairness")
#: Third-party solver stacks (SciPy's optimisers count: they are HiGHS inside).
SOLVER_LIBRARIES = ("scipy.optimize", "pulp", "highspy")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The package modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
    if node.level:
        is_package = MODULES[module].name == "__init__.py"
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join([*base, *(node.module.split(".") if node.module else [])])
    else:
        target = node.module or ""
    if target.split(".")[0] != PACKAGE:
        return []
    out = [target]
    for alias in node.names:  # ``from pkg import submodule``
        if f"{target}.{alias.name}" in MODULES:
            out.append(f"{target}.{alias.name}")
    return out


def _imports(module: str) -> tuple[set[str], set[str], set[str]]:
    """(module-level package imports, all package imports, third-party top names) of a module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top: set[str] = set()
    every: set[str] = set()
    third: set[str] = set()

    def visit(node: ast.AST, level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found = _resolve(module, child)
                every.update(found)
                if level:
                    top.update(found)
                if isinstance(child, ast.Import):
                    third.update(a.name for a in child.names)
                elif not child.level and child.module:
                    third.add(child.module)
                    third.update(f"{child.module}.{a.name}" for a in child.names)
                continue
            visit(child, level and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(tree, True)
    return top - {module}, every - {module}, third


GRAPH = {m: _imports(m) for m in MODULES}


def _known(name: str) -> str:
    """The nearest module in the package for an imported dotted name."""
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if state.get(v) == 1:
                return [*stack[stack.index(v):], v]
            if v not in state and (found := dfs(v)):
                return found
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(edges):
        if u not in state and (found := dfs(u)):
            return found
    return None


def _parent_packages(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _edge_of(module: str) -> bool:
    rest = module.split(".")[1:2]
    return bool(rest) and rest[0] in EDGES


# ----------------------------------------------------------------------------- the checks
def test_the_graph_sees_the_package() -> None:
    assert len(MODULES) >= 40
    assert f"{PACKAGE}.algorithms.leximin" in GRAPH[f"{PACKAGE}.algorithms"][0]
    assert f"{PACKAGE}.pool" in GRAPH[f"{PACKAGE}.quotas"][1] or \
        f"{PACKAGE}.strata" in GRAPH[f"{PACKAGE}.quotas"][1]


def test_no_import_cycle() -> None:
    edges = {m: {_known(t) for t in top} - _parent_packages(m) for m, (top, _, _) in GRAPH.items()}
    assert _find_cycle(edges) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("name", NO_SOLVER)
def test_core_modules_load_no_solver(name: str) -> None:
    module = f"{PACKAGE}.{name}"
    _, every, third = GRAPH[module]
    reached = {_known(t) for t in every}
    assert not {t for t in reached if t.startswith(SOLVERS)}, f"{module} imports a solver"
    assert not {t for t in third if t.startswith(SOLVER_LIBRARIES)}, f"{module} imports a solver"


def test_core_modules_load_no_solver_when_imported() -> None:
    code = ("import sys\n"
            + "".join(f"import {PACKAGE}.{n}\n" for n in NO_SOLVER)
            + f"prefixes = {SOLVERS + SOLVER_LIBRARIES!r}\n"
            + "print(sorted(m for m in sys.modules if m.startswith(prefixes)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _edge_of(m)
                                          and m not in FORWARDERS and m != PACKAGE))
def test_core_modules_do_not_import_the_edges(module: str) -> None:
    _, every, _ = GRAPH[module]
    assert not [t for t in every if _edge_of(_known(t))], f"{module} imports an edge module"


def test_algorithms_never_import_each_other() -> None:
    from civicsortition.algorithms import ALGORITHMS

    implementations = {spec.function.__module__ for spec in ALGORITHMS.values()}
    assert len(implementations) == len(ALGORITHMS) >= 4
    for module in implementations:
        _, every, _ = GRAPH[module]
        assert not {_known(t) for t in every} & (implementations - {module}), module


#: The data flow of docs/extending.md, top first: a core module imports only its own layer and
#: the layers above it (anywhere in its code, lazy imports included).
LAYERS = (
    ("_typing", "numerics", "errors", "_checks", "seeds", "_lazy", "_deprecated", "_frames",
     "_html", "_log", "_i18n"),
    ("strata", "pool", "census", "apportionment", "biproportional", "quotas"),
    ("invitations", "registrations"),
    ("propensity",),
    ("program", "diagnostics"),
    ("distribution",),
    ("backends",),
    ("algorithms",),
    ("rounding", "lottery", "draw", "verifier", "_verify_rules", "fairness", "uniform"),
    ("audit", "households", "replacements", "vote", "dropout", "alternates", "joint"),
)


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for depth, names in enumerate(LAYERS):
        if parts[1] in names:
            return depth
    return None


def test_every_core_module_has_a_layer() -> None:
    core = [m for m in MODULES if m != PACKAGE and not _edge_of(m) and m not in FORWARDERS]
    assert [m for m in core if _layer(m) is None] == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) is not None))
def test_no_upward_import(module: str) -> None:
    _, every, _ = GRAPH[module]
    mine = _layer(module)
    assert mine is not None
    upward = sorted(t for t in {_known(t) for t in every}
                    if (theirs := _layer(t)) is not None and theirs > mine)
    assert upward == [], f"{module} (layer {mine}) imports from below: {upward}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_past_800_lines(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module}: {lines} lines"


def test_import_loads_no_scipy_and_no_submodule() -> None:
    code = ("import sys, civicsortition\n"
            "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'civicsortition.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(out.stdout)
    assert not [m for m in loaded if m.startswith("scipy")]
    assert set(loaded) <= {f"{PACKAGE}._lazy", f"{PACKAGE}._deprecated"}


def test_command_line_help_loads_no_solver_and_no_numpy() -> None:
    code = ("import sys, contextlib, io\n"
            "from civicsortition.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            "        main(['--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            f"prefixes = {(*SOLVERS, *SOLVER_LIBRARIES, 'numpy', 'scipy')!r}\n"
            "print(sorted(m for m in sys.modules if m.startswith(prefixes)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- the namespace
def test_type_checking_block_matches_the_lazy_table() -> None:
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    static: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                static.update(a.asname or a.name for a in imp.names)
    exports = set(civicsortition._EXPORTS)  # type: ignore[attr-defined]
    assert static == exports
    assert set(civicsortition.__all__) == exports | {"__version__"}


def test_every_public_name_resolves_to_its_module() -> None:
    for name, where in civicsortition._EXPORTS.items():  # type: ignore[attr-defined]
        module, _, attribute = where.partition(":")
        obj = getattr(civicsortition, name)
        expected = importlib.import_module(module, PACKAGE)
        if not (where.endswith(":")):
            expected = getattr(expected, attribute or name)
        assert obj is expected, name


def test_a_function_wins_over_its_same_named_submodule() -> None:
    import civicsortition.draw  # the import sets the attribute; the function wins

    assert callable(civicsortition.draw)
    assert civicsortition.draw is sys.modules["civicsortition.draw"].draw


OLD_MODULES = {"synthetic": "research.synthetic", "experiments": "research.experiments",
               "corpus": "research.corpus", "peer": "research.peer", "pipeline": "examples.demo"}
OLD_NAMES = {"rustavi_synthetic_census": "examples", "rustavi_synthetic_pool": "examples",
             "rustavi_example": "examples", "synthetic_instance": "research",
             "compare_algorithms": "research", "grid": "research", "run_grid": "research",
             "read_results": "research", "Task": "research", "Comparison": "research"}


@pytest.mark.parametrize(("old", "new"), sorted(OLD_MODULES.items()))
def test_old_module_paths_warn_and_forward(old: str, new: str) -> None:
    sys.modules.pop(f"{PACKAGE}.{old}", None)
    with pytest.warns(DeprecationWarning, match=rf"{PACKAGE}\.{old} moved to {PACKAGE}\.{new}"):
        module = importlib.import_module(f"{PACKAGE}.{old}")
    assert module is importlib.import_module(f"{PACKAGE}.{new}")


@pytest.mark.parametrize(("name", "new"), sorted(OLD_NAMES.items()))
def test_old_root_names_warn_and_forward(name: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"{PACKAGE}\.{name} moved"):
        obj = getattr(civicsortition, name)
    assert obj is getattr(importlib.import_module(f"{PACKAGE}.{new}"), name)


def test_old_census_name_warns_and_forwards() -> None:
    import civicsortition.census as census
    from civicsortition.examples import rustavi_synthetic_census

    with pytest.warns(DeprecationWarning, match="census.rustavi_synthetic_census moved"):
        assert census.rustavi_synthetic_census is rustavi_synthetic_census  # type: ignore[attr-defined]


def test_the_warning_points_at_the_caller() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        civicsortition.grid  # noqa: B018 (the access is the test)
    assert [Path(w.filename).name for w in caught] == [Path(__file__).name]


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        civicsortition.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_every_embedded_data_file_is_packaged() -> None:
    """A non-editable install ships exactly the data files the package reads."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib", reason="needs Python 3.11+ (tomllib)")

    config = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"][PACKAGE]
    data = [p for p in SRC.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts]
    assert data
    for path in data:
        rel = path.relative_to(SRC)
        assert any(fnmatch.fnmatch(rel.as_posix(), pattern) for pattern in patterns), \
            f"{rel} is not packaged"
