"""The optional parts of landuse (its extras: ``raster``, ``report``, ``map``, ``api``, …)
and what to install when one is missing.

The one home of which package belongs to which part is ``[project.optional-dependencies]``
in ``pyproject.toml``; an installed landuse carries it in its metadata
(:func:`importlib.metadata.requires`), which this module reads. Running from a source
folder that was never installed there is no metadata: nothing is checked then and a
missing module is reported with the whole install (``landuse[all]``).
"""

from __future__ import annotations

import importlib.metadata as md
import re
from collections.abc import Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement

from landuse.errors import MissingPartError

__all__ = ["extra_of_module", "missing_module_error", "missing_parts", "require_parts"]

DIST = "landuse"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _requirements(requires: Iterable[str] | None = None) -> list[tuple[Requirement, str]]:
    """Each optional requirement of landuse with its extra (``all`` left out: it repeats
    every other part), in the order of the metadata."""
    if requires is None:
        try:
            requires = md.requires(DIST) or []
        except md.PackageNotFoundError:
            return []
    out: list[tuple[Requirement, str]] = []
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None:
            continue
        for extra in re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", str(req.marker)):
            if extra != "all":
                out.append((req, extra))
    return out


def extra_of_module(module: str, requires: Iterable[str] | None = None) -> str | None:
    """The part whose packages include the importable ``module`` (its top-level name
    compared with the package names, and with the extras a requirement asks for, as
    ``dask[distributed]`` gives ``distributed``); None when no part lists it."""
    top = _norm(module.split(".")[0])
    for req, extra in _requirements(requires):
        if _norm(req.name) == top or top in {_norm(e) for e in req.extras}:
            return extra
    return None


def missing_parts(parts: Iterable[str], requires: Iterable[str] | None = None,
                  installed: Callable[[str], bool] | None = None) -> dict[str, list[str]]:
    """For each of ``parts`` with a package that is not installed, those packages (empty
    when landuse's metadata is not there to say)."""
    def _installed(name: str) -> bool:
        try:
            md.version(name)
        except md.PackageNotFoundError:
            return False
        return True

    has = installed or _installed
    wanted = list(parts)
    out: dict[str, list[str]] = {}
    for req, extra in _requirements(requires):
        if extra in wanted and not has(req.name):
            out.setdefault(extra, []).append(req.name)
    return out


def _fix(parts: Iterable[str]) -> str:
    return f"pip install 'landuse[{','.join(parts)}]'"


def require_parts(parts: Iterable[str], what: str,
                  requires: Iterable[str] | None = None,
                  installed: Callable[[str], bool] | None = None) -> None:
    """Raise :class:`MissingPartError` naming every missing package and the command that
    installs them when ``what`` (e.g. ``landuse demo``) needs ``parts`` and some are not
    installed."""
    wanted = list(parts)
    missing = missing_parts(wanted, requires, installed)
    if not missing:
        return
    names = "、".join(n for ns in missing.values() for n in ns)
    raise MissingPartError(
        f"运行 {what} 还需要安装以下 Python 包：{names}，安装命令：{_fix(wanted)}。"
        f"{what} needs landuse's optional parts "
        f"{', '.join(sorted(missing))} ({', '.join(n for ns in missing.values() for n in ns)}"
        f" not installed). Fix: {_fix(wanted)}"
    )


def missing_module_error(e: ModuleNotFoundError,
                         requires: Iterable[str] | None = None) -> MissingPartError:
    """The error to show for a module that an optional part brings and is not installed."""
    module = (e.name or "").split(".")[0] or str(e)
    extra = extra_of_module(module, requires)
    part = f" (landuse's optional part '{extra}')" if extra else ""
    fix = _fix([extra] if extra else ["all"])
    return MissingPartError(
        f"未安装所需的 Python 包：{module}，安装命令：{fix}。the Python package "
        f"'{module}'{part} is not installed. Fix: {fix}"
    )
