"""The package's shape: subpackages per part, dependencies pointing one way, no cycles, data in the wheel."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "phyassist"
PARTS = {"data": "data", "train": "training", "evaluation": "evaluation", "hub": "publishing", "serve": "serving"}
# part -> parts it must never import
FORBIDDEN = {
    "data": {"train", "evaluation", "hub", "serve"},
    "train": {"evaluation", "hub", "serve"},
    "evaluation": {"train", "hub", "serve"},
    "serve": {"train", "hub"},
}
OUTSIDE = {"scripts", "space", "metrics", "benchmarks", "tests"}
# The one exception: the crisis screen is a leaf (numpy, scikit-learn, phyassist.io); the counseling
# evaluation screens generated replies with it.
ALLOWED = {"evaluation": ("phyassist.serve.safety",)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of everything a module imports, at any depth (lazy imports count too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module
            out.add(target)
            out |= {f"{target}.{a.name}" for a in node.names}  # `from . import cards` imports a module
    return out


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {m: {i for i in _imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}


def test_parts_are_subpackages_whose_docstring_names_the_part():
    for part, name in PARTS.items():
        doc = ast.get_docstring(ast.parse((PACKAGE / part / "__init__.py").read_text()))
        assert doc and doc.startswith(f"The {name} part:"), part
    for path in PACKAGE.rglob("*.py"):
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path} has no module docstring"


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_dependencies_point_one_way(part):
    inside = [m for m in MODULES if m.split(".")[:2] == ["phyassist", part]]
    assert inside
    bad = [(m, i) for m in inside for i in _imports(MODULES[m])
           if i.split(".")[0] == "phyassist" and len(i.split(".")) > 1 and i.split(".")[1] in FORBIDDEN[part]
           and not i.startswith(ALLOWED.get(part, ()))]
    assert not bad, bad


def test_the_allowed_exceptions_are_leaves():
    for allowed in {a for names in ALLOWED.values() for a in names}:
        inside = [m for m in MODULES if m == allowed or m.startswith(allowed + ".")]
        outside = {i for m in inside for i in GRAPH[m] if not (i == allowed or i.startswith(allowed + "."))}
        assert outside <= {"phyassist.io"}, (allowed, outside)


def test_library_never_imports_scripts_space_or_metrics():
    bad = [(m, i) for m, p in MODULES.items() for i in _imports(p) if i.split(".")[0] in OUTSIDE]
    assert not bad, bad
    for path in PACKAGE.rglob("*.py"):  # run-time files come through importlib.resources, not the checkout
        text = path.read_text()
        assert "parents[1]" not in text and ".parent.parent" not in text, path


def test_no_import_cycles():
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in GRAPH[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [node, nxt]))
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


def test_every_module_imports_and_every_subpackage_is_packaged():
    import tomllib

    for name in MODULES:
        importlib.import_module(name)
    declared = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    subpackages = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert subpackages <= declared, subpackages - declared


MAX_MODULE_LINES = 400
MAX_SPACE_APP_LINES = 150


def test_no_module_is_over_400_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_space_app_is_a_launcher():
    app = PACKAGE.parent / "space" / "app.py"
    lines = len(app.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_SPACE_APP_LINES, f"space/app.py has {lines} lines"


@pytest.mark.parametrize("grown, members", [
    ("evaluation.labels", ("labels", "labeler", "statement", "classifiers", "mentalbert", "label_cli")),
    ("serve.safety", ("crisis_text", "crisis_rules", "crisis_model", "crisis_eval")),
])
def test_grown_parts_have_their_own_subpackage(grown, members):
    folder = PACKAGE.joinpath(*grown.split("."))
    assert (folder / "__init__.py").is_file(), grown
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
    assert doc, f"{grown} has no docstring"
    parent = folder.parent
    # the part's modules live inside the subpackage, not beside it
    stray = [m for m in members if (parent / f"{m}.py").exists()]
    assert not stray, stray
