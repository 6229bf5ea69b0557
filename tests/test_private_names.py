"""No module of the library uses another module's underscore-private names.

A name that starts with one underscore is private to the module that defines it; a module
whose own name starts with an underscore is private to its package. The scan reads the
source (``ast``): ``from m import _x``, ``import m`` then ``m._x``, and private modules
imported from outside their package are all reported with file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.builders import ROOT

LIB = ROOT / "landuse"

# Uses outside this part of the restructuring, left to the parts that own those modules.
KNOWN: set[tuple[str, str]] = {
    ("landuse/raster/_coverworker.py", "landuse.raster.coverage._cover_chunk"),
}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def private_uses(path: Path, source: str) -> list[tuple[int, str]]:
    """(line, what) for each use of another module's private name in ``source``."""
    here = _module_of(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    tree = ast.parse(source)
    out: list[tuple[int, str]] = []
    modules: dict[str, str] = {}  # local name -> module, for attribute access
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("landuse"):
                    modules[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mod = node.module
            if not mod.startswith("landuse"):
                continue
            for a in node.names:
                if _private(a.name) and mod != here:
                    out.append((node.lineno, f"{mod}.{a.name}"))
                elif not _private(a.name):
                    modules[a.asname or a.name] = f"{mod}.{a.name}"
            parts = mod.split(".")
            for i, p in enumerate(parts):
                owner = ".".join(parts[:i])
                if _private(p) and not (package + ".").startswith(owner + "."):
                    out.append((node.lineno, mod))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in modules):
            out.append((node.lineno, f"{modules[node.value.id]}.{node.attr}"))
    return out


def test_no_module_uses_another_modules_private_names() -> None:
    found = []
    for f in sorted(LIB.rglob("*.py")):
        rel = str(f.relative_to(ROOT))
        for line, what in private_uses(f, f.read_text("utf-8")):
            if (rel, what) not in KNOWN:
                found.append(f"{rel}:{line} uses {what}")
    assert found == [], "\n".join(found)


def test_the_scan_finds_each_kind_of_use() -> None:
    src = (
        "from landuse.store.sql import _q\n"
        "from landuse.store import sql\n"
        "x = sql._hidden\n"
        "from landuse.rules._text import sentence\n"
        "from landuse.store.sql import quote_ident\n"
    )
    uses = private_uses(LIB / "report" / "build.py", src)
    assert sorted(uses) == [(1, "landuse.store.sql._q"), (3, "landuse.store.sql._hidden"),
                            (4, "landuse.rules._text")]
    # a private module used inside its own package is the package's business
    assert private_uses(LIB / "rules" / "assess.py", src.splitlines()[3]) == []
