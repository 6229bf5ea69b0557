"""Layering: the library never imports its command line, the web app or the demo job.

Every module of ``landuse/`` is parsed (not imported) and each ``import`` / ``from … import``
it contains, at any depth (function-level imports too), is checked. The command line
(``landuse/cli/``) and ``landuse/__main__.py`` (``python -m landuse``) sit on top of the
library and may import it all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.builders import ROOT

LIB = ROOT / "landuse"
FORBIDDEN = ("landuse.cli", "landuse_api", "landuse_demo", "api")
ON_TOP = {LIB / "__main__.py"}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file at ``path`` under ``root``."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
    return out


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def library_modules() -> list[Path]:
    return sorted(p for p in LIB.rglob("*.py")
                  if "cli" not in p.relative_to(LIB).parts[:1] and p not in ON_TOP)


def test_the_library_is_found() -> None:
    mods = library_modules()
    names = {_module_name(p) for p in mods}
    assert {"landuse.rules", "landuse.webmap.assets", "landuse.report.charts"} <= names
    assert not any(n.startswith("landuse.cli") for n in names)


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: _module_name(p))
def test_library_module_imports_no_upper_layer(path: Path) -> None:
    bad = [f"{path.relative_to(ROOT)}:{line} imports {name}"
           for line, name in imported_names(path) if _forbidden(name)]
    assert not bad, "the library must not import the CLI, web app or demo:\n" + "\n".join(bad)


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checker itself: plain, from, relative and function-level imports are all seen."""
    pkg = tmp_path / "landuse" / "sub"
    pkg.mkdir(parents=True)
    f = pkg / "mod.py"
    f.write_text(
        "import landuse_api.main\n"
        "from landuse import cli\n"
        "def f():\n"
        "    from ..cli.demo import demo\n"
        "    from landuse_demo.steps import STEPS\n"
        "from landuse.core import area\n",
        "utf-8",
    )
    hits = [(line, n) for line, n in imported_names(f, tmp_path) if _forbidden(n)]
    assert [line for line, _ in hits] == [1, 2, 4, 4, 5, 5]
    assert "landuse.cli.demo" in {n for _, n in hits}
