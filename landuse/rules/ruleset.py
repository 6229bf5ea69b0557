"""Rulesets: the thresholds of the assessment as versioned TOML files.

The package ships ``rulesets/default.toml`` (the national rules), which includes three part
files, each versioned on its own: ``idle_land_2012.toml`` (闲置土地处置办法),
``control_2008.toml`` (工业项目建设用地控制指标 with the 容积率 table) and
``mujun_example.toml`` (an example 亩均 scheme). A zone's own file is merged over the default
key by key, so it may change any threshold and nothing else.

Loading is strict: an unknown key, a value of the wrong type or out of range, or an
industry missing from the 容积率 table raises :class:`~landuse.errors.RulesetError` naming
the file, the key and its line.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from landuse.errors import RulesetError
from landuse.standard import get_standard

__all__ = [
    "INDUSTRY_EDITIONS",
    "Ruleset",
    "default_ruleset",
    "line_of",
    "load_ruleset",
]

INDUSTRY_EDITIONS: dict[str, tuple[str, ...]] = {
    # GB/T 4754-2002 manufacturing divisions: 13-43, there is no 38 in that edition
    "GB/T 4754-2002": tuple(str(c) for c in range(13, 44) if c != 38),
    # GB/T 4754-2017 manufacturing divisions: 13-43
    "GB/T 4754-2017": tuple(str(c) for c in range(13, 44)),
}
"""Two-digit manufacturing divisions of each GB/T 4754 edition a 容积率 table must cover."""

_LAND_USES: tuple[str, ...] = tuple(get_standard().codes["land_use"])
_EVIDENCE = ("pit_done", "piles_done", "foundation_third")
_CAUSES = ("holder", "government", "force_majeure", "unknown")
_NUMERIC_FIELDS = (
    "tax_wan",
    "output_wan",
    "revenue_wan",
    "value_added_wan",
    "energy_tce",
    "employees",
    "rd_wan",
    "invested_wan",
    "total_investment_wan",
    "land_price_wan",
    "floor_area_m2",
    "footprint_m2",
    "area_mu",
    "area_m2",
)


@dataclass(frozen=True)
class _Spec:
    """What one key must hold."""

    kind: str  # str, float, int, bool, strlist
    required: bool = True
    choices: tuple[str, ...] | None = None
    lo: float | None = None
    hi: float | None = None


def _S(**kw: Any) -> _Spec:
    return _Spec("str", **kw)


def _F(lo: float | None = None, hi: float | None = None, required: bool = True) -> _Spec:
    return _Spec("float", required=required, lo=lo, hi=hi)


def _I(lo: float | None = None, hi: float | None = None) -> _Spec:
    return _Spec("int", lo=lo, hi=hi)


_MUJUN_SCHEME: dict[str, Any] = {
    "classes": {"A": _F(0.0, 1.0), "B": _F(0.0, 1.0), "C": _F(0.0, 1.0)},
    "indicators": (
        r"^[a-z][a-z0-9_]*$",
        {
            "label_zh": _S(),
            "label_en": _S(),
            "unit": _S(),
            "numerator": _S(choices=_NUMERIC_FIELDS),
            "denominator": _S(choices=_NUMERIC_FIELDS),
            "base": _F(lo=1e-12),
            "weight": _F(lo=0.0),
            "cap": _F(lo=0.0, required=False),
        },
    ),
}
"""One 亩均 scheme: class cut-offs and indicators (the 规上 one at [mujun], 规下 below it)."""

_SCHEMA: dict[str, Any] = {
    "ruleset": {
        "name": _S(),
        "version": _S(),
        "title": _S(required=False),
        "source": _S(required=False),
        "include": _Spec("strlist", required=False),
        "extends": _S(required=False),
    },
    "idle": {
        "started_evidence": _Spec("strlist", choices=_EVIDENCE),
        "not_started_after_years": _I(1, 100),
        "base_after_delivery_years": _I(0, 100),
        "stalled_suspended_years": _I(1, 100),
        "stalled_developed_share_below": _F(0.0, 1.0),
        "stalled_invested_share_below": _F(0.0, 1.0),
        "stalled_combinator": _S(choices=("or", "and")),
        "fee_share_of_price": _F(0.0, 1.0),
        "fee_after_years": _I(0, 100),
        "recovery_after_years": _I(0, 100),
        "recovery_applies_to_stalled": _Spec("bool"),
        "consequence_causes": _Spec("strlist", choices=_CAUSES),
        "unrecorded_cause_is_holder": _Spec("bool"),
        "extension_max_years": _I(1, 100),
        "late_delivery_is_government": _Spec("bool"),
    },
    "control": {
        "standard": _S(),
        "industry_edition": _S(choices=tuple(INDUSTRY_EDITIONS)),
        "industry_code_edition": _S(choices=("2002", "2011", "2017")),
        "applies_to_land_use": _Spec("strlist", choices=_LAND_USES),
        "review_after_production_years": _I(0, 100),
        "min_coverage": _F(0.0, 1.0),
        "max_admin_share": _F(0.0, 1.0),
        "max_green_ratio": _F(0.0, 1.0),
        "min_invest_intensity_wan_per_mu": _F(lo=0.0, required=False),
        "min_tax_per_mu_wan": _F(lo=0.0, required=False),
        "invest_includes_land_price": _Spec("bool"),
        "industries": (
            r"^\d{2}$",
            {
                "name": _S(),
                "min_far": _F(lo=0.0, hi=100.0),
                "mark": _S(choices=("C", "S", "U", "R")),
            },
        ),
    },
    "mujun": {
        "scheme": _S(),
        "applies_to_land_use": _Spec("strlist", choices=_LAND_USES),
        "min_years_producing": _I(0, 100),
        "min_area_mu": _F(lo=0.0),
        "rank_scope": _S(choices=("all", "zone")),
        "missing_value": _S(choices=("zero", "mean")),
        "veto_columns": _Spec("strlist"),
        "veto_names_zh": _Spec("strlist", required=False),
        "veto_class": _S(choices=("C", "D")),
        "scale_unknown": _S(choices=("above", "below")),
        **_MUJUN_SCHEME,
        "below_scale": {"scheme": _S(), **_MUJUN_SCHEME},
    },
}

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _norm_header(h: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in h.split("."))


def _line_of(text: str, path: tuple[str, ...]) -> int:
    """Best-effort line number (1-based) of ``path`` (section..., key) in TOML ``text``.

    tomllib gives no positions for keys, so the text is searched: the table header of the
    path's parent, then the key inside that table; else the first line that assigns the key.
    """
    lines = text.splitlines()
    full = ".".join(path)
    parent = ".".join(path[:-1])
    key = path[-1]
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*(\.|=)")
    start = None
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            continue
        h = _norm_header(m.group(1))
        if h == full:
            return i + 1
        if h == parent:
            start = i
    if start is not None:
        for j in range(start + 1, len(lines)):
            if _HEADER.match(lines[j]):
                break
            if key_re.match(lines[j]):
                return j + 1
    for i, line in enumerate(lines):
        if key_re.match(line) or re.search(rf"(^|[.\s\"']){re.escape(key)}[\"']?\s*=", line):
            return i + 1
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and _norm_header(m.group(1)).startswith(full + "."):
            return i + 1
    if len(path) > 1:
        return _line_of(text, path[:-1])
    return 1


@dataclass
class _Source:
    """A parsed ruleset file: its path, text and data."""

    path: str
    text: str
    data: dict[str, Any]

    def error(
        self,
        path: tuple[str, ...],
        problem: str,
        fix: str,
        line_path: tuple[str, ...] | None = None,
    ) -> RulesetError:
        line = _line_of(self.text, line_path or path)
        key = ".".join(path)
        return RulesetError(f"{self.path}, line {line}, key '{key}': {problem}. Fix: {fix}")


def _read_source(path: str | Path, text: str | None = None) -> _Source:
    p = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as e:
            raise RulesetError(f"{p}: ruleset file not found. Fix: check the path.") from e
        except (OSError, UnicodeDecodeError) as e:
            raise RulesetError(f"{p}: cannot be read as UTF-8 text ({e}).") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulesetError(f"{p}: not valid TOML ({e}). Fix: correct the syntax there.") from e
    return _Source(p, text, data)


def _type_name(v: object) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(v), type(v).__name__)


def _check_value(src: _Source, path: tuple[str, ...], spec: _Spec, v: object) -> None:
    want = {
        "str": "a string",
        "float": "a number",
        "int": "an integer",
        "bool": "true or false",
        "strlist": "an array of strings",
    }[spec.kind]
    ok = {
        "str": isinstance(v, str),
        "float": isinstance(v, int | float) and not isinstance(v, bool),
        "int": isinstance(v, int) and not isinstance(v, bool),
        "bool": isinstance(v, bool),
        "strlist": isinstance(v, list) and all(isinstance(x, str) for x in v),
    }[spec.kind]
    if not ok:
        raise src.error(
            path, f"must be {want}, got {_type_name(v)} {v!r}", f"write {want} for this key"
        )
    if spec.kind == "float" and not math.isfinite(float(v)):  # type: ignore[arg-type]
        raise src.error(path, f"must be a finite number, got {v!r}", "write a finite number")
    if spec.choices is not None:
        vals = v if isinstance(v, list) else [v]
        bad = [x for x in vals if x not in spec.choices]
        if bad:
            raise src.error(
                path,
                f"value {bad[0]!r} is not allowed",
                "use one of " + ", ".join(repr(c) for c in spec.choices),
            )
    if spec.kind in ("float", "int"):
        x = float(v)  # type: ignore[arg-type]
        if (spec.lo is not None and x < spec.lo) or (spec.hi is not None and x > spec.hi):
            raise src.error(
                path,
                f"value {v!r} is out of range [{spec.lo}, {spec.hi}]",
                "give a value inside the range",
            )


def _check_table(src: _Source, path: tuple[str, ...], schema: Any, data: Any) -> None:
    """Check ``data`` against ``schema``: unknown keys and wrong types (not completeness)."""
    if isinstance(schema, tuple):  # dynamic table: (key pattern, entry schema)
        pattern, entry = schema
        if not isinstance(data, dict):
            raise src.error(path, f"must be a table, got {_type_name(data)}", "write a table")
        for k, v in data.items():
            if not re.match(pattern, k):
                raise src.error(
                    (*path, k),
                    f"unknown key '{k}' (keys here must match {pattern})",
                    "correct or remove the key",
                )
            _check_table(src, (*path, k), entry, v)
        return
    if not isinstance(data, dict):
        raise src.error(path, f"must be a table, got {_type_name(data)}", "write a [table]")
    for k, v in data.items():
        if k not in schema:
            known = ", ".join(sorted(schema))
            raise src.error((*path, k), f"unknown key '{k}'", f"use one of: {known}")
        sub = schema[k]
        if isinstance(sub, _Spec):
            _check_value(src, (*path, k), sub, v)
        else:
            _check_table(src, (*path, k), sub, v)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@dataclass(frozen=True)
class Ruleset:
    """A validated, merged ruleset.

    Attributes
    ----------
    name, version : str
        Of the top file (the zone's own file, or the default).
    parts : tuple of (name, version)
        Every file merged, base first.
    files : tuple of str
        Their paths.
    idle, control, mujun : dict
        The merged sections.
    """

    name: str
    version: str
    parts: tuple[tuple[str, str], ...]
    files: tuple[str, ...]
    idle: dict[str, Any] = field(repr=False)
    control: dict[str, Any] = field(repr=False)
    mujun: dict[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        """``name version`` of the top file, e.g. ``cn-national 1.0.0``."""
        return f"{self.name} {self.version}"

    @property
    def description(self) -> str:
        """The top file and every part, e.g. for gdf.attrs and reports."""
        parts = "; ".join(f"{n} {v}" for n, v in self.parts)
        return f"{self.label} ({parts})"

    def as_dict(self) -> dict[str, Any]:
        """The merged sections as a plain dict (a copy)."""
        return copy.deepcopy({"idle": self.idle, "control": self.control, "mujun": self.mujun})

    def override(self, changes: Mapping[str, Any], source: str = "<override>") -> Ruleset:
        """Return a new ruleset with ``changes`` (``{"idle": {...}, ...}``) merged over this one.

        Examples
        --------
        >>> rs = default_ruleset().override({"idle": {"stalled_combinator": "and"}})
        >>> rs.idle["stalled_combinator"]
        'and'
        """
        text = _dump_for_lines(changes)
        src = _Source(source, text, dict(changes))
        _check_table(src, (), {k: v for k, v in _SCHEMA.items() if k != "ruleset"}, src.data)
        base = self.as_dict()
        merged = _merge(base, _edition_reset(base, src.data))
        return _finish(
            merged, self.name, self.version, self.parts, (*self.files, source), {"*": src}
        )


def _dump_for_lines(d: Mapping[str, Any], prefix: str = "") -> str:
    lines: list[str] = []
    for k, v in d.items():
        if isinstance(v, Mapping):
            lines.append(f"[{prefix}{k}]")
            lines.append(_dump_for_lines(v, f"{prefix}{k}."))
        else:
            lines.append(f"{k} = {v!r}")
    return "\n".join(lines)


def _edition_reset(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """A zone file that changes the industry edition replaces the 容积率 table whole."""
    over = dict(over)
    ctl = over.get("control")
    if isinstance(ctl, dict) and "industry_edition" in ctl:
        if ctl["industry_edition"] != base.get("control", {}).get("industry_edition"):
            base.get("control", {}).pop("industries", None)
    return over


def _finish(
    merged: dict[str, Any],
    name: str,
    version: str,
    parts: tuple[tuple[str, str], ...],
    files: tuple[str, ...],
    blame: dict[str, _Source],
) -> Ruleset:
    """Check completeness of the merged ruleset and build the Ruleset."""

    def src_for(section: str) -> _Source:
        return blame.get(section) or blame.get("*") or next(iter(blame.values()))

    for section in ("idle", "control", "mujun"):
        schema = _SCHEMA[section]
        data = merged.get(section)
        src = src_for(section)
        if not isinstance(data, dict):
            raise src.error((section,), "section missing", f"add a [{section}] table")
        _require(src, (section,), schema, data)
    ctl = merged["control"]
    src = src_for("control")
    codes = INDUSTRY_EDITIONS[ctl["industry_edition"]]
    table = ctl.get("industries", {})
    missing = [c for c in codes if c not in table]
    if missing:
        raise src.error(
            ("control", "industries", missing[0]),
            f"industry {missing[0]} of {ctl['industry_edition']} has no 容积率 row "
            f"(missing: {', '.join(missing)})",
            f'add [control.industries."{missing[0]}"] with name, min_far and mark',
            line_path=("control", "industry_edition")
            if re.search(r"^\s*industry_edition\s*=", src.text, re.M)
            else ("control", "industries"),
        )
    extra = [c for c in table if c not in codes]
    if extra:
        raise src.error(
            ("control", "industries", extra[0]),
            f"industry {extra[0]} is not a manufacturing division of {ctl['industry_edition']}",
            "remove it or declare the right industry_edition",
        )
    for at, sch in ((("mujun",), merged["mujun"]),
                    (("mujun", "below_scale"), merged["mujun"]["below_scale"])):
        cls = sch["classes"]
        if not (0 < cls["A"] <= cls["B"] <= cls["C"] <= 1):
            raise src_for("mujun").error(
                (*at, "classes", "A"),
                f"class cut-offs must rise: A {cls['A']} <= B {cls['B']} <= C {cls['C']} <= 1",
                "give cumulative rank shares, e.g. A = 0.2, B = 0.6, C = 0.95",
            )
        if not sch["indicators"]:
            raise src_for("mujun").error(
                (*at, "indicators"), "no indicator",
                f"add at least one [{'.'.join(at)}.indicators.X]",
            )
    mj = merged["mujun"]
    if "veto_names_zh" in mj and len(mj["veto_names_zh"]) != len(mj["veto_columns"]):
        raise src_for("mujun").error(
            ("mujun", "veto_names_zh"),
            f"{len(mj['veto_names_zh'])} Chinese names for {len(mj['veto_columns'])} veto "
            "columns",
            "give one Chinese name per veto column, in the same order",
        )
    return Ruleset(
        name=name,
        version=version,
        parts=parts,
        files=files,
        idle=merged["idle"],
        control=merged["control"],
        mujun=merged["mujun"],
    )


def _require(src: _Source, path: tuple[str, ...], schema: Any, data: dict[str, Any]) -> None:
    if isinstance(schema, tuple):
        for k, v in data.items():
            _require(src, (*path, k), schema[1], v)
        return
    for k, sub in schema.items():
        if isinstance(sub, _Spec):
            if sub.required and k not in data:
                raise src.error((*path, k), "required key missing", f"add {k} = ...")
        elif k not in data:
            raise src.error((*path, k), "required table missing", f"add [{'.'.join(path)}.{k}]")
        else:
            _require(src, (*path, k), sub, data[k])


def _packaged(name: str) -> tuple[str, str]:
    res = resources.files("landuse.rules").joinpath("rulesets", name)
    if not res.is_file():
        raise RulesetError(f"rulesets/{name}: no such packaged ruleset file.")
    return f"landuse/rules/rulesets/{name}", res.read_text("utf-8")


def _load_tree(
    path: str,
    text: str | None,
    resolve: Any,
    seen: tuple[str, ...] = (),
    implied: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[tuple[str, str]], list[str], dict[str, _Source]]:
    """Load a file and everything it includes/extends, merged base first."""
    src = _read_source(path, text)
    if path in seen:
        raise src.error(("ruleset", "include"), "includes itself", "remove the cycle")
    _check_table(src, (), _SCHEMA, src.data)
    head = src.data.get("ruleset")
    if not isinstance(head, dict) or "name" not in head or "version" not in head:
        raise src.error(
            ("ruleset", "name"),
            "every ruleset file needs [ruleset] with name and version",
            'add [ruleset] name = "..." version = "..."',
        )
    merged: dict[str, Any] = {}
    parts: list[tuple[str, str]] = []
    files: list[str] = []
    blame: dict[str, _Source] = {}
    bases = ([head["extends"]] if "extends" in head else []) + list(head.get("include", []))
    if not bases:
        bases = list(implied)
    for b in bases:
        bpath, btext = resolve(path, b)
        m, p, f, bl = _load_tree(bpath, btext, resolve, (*seen, path))
        merged = _merge(merged, _edition_reset(merged, m))
        parts += p
        files += f
        blame.update(bl)
    body = {k: v for k, v in src.data.items() if k != "ruleset"}
    merged = _merge(merged, _edition_reset(merged, body))
    for k in body:
        blame[k] = src
    parts.append((head["name"], head["version"]))
    files.append(path)
    blame["*"] = src
    return merged, parts, files, blame


def _resolver(from_path: str, name: str) -> tuple[str, str | None]:
    """Find an included file: beside the including file, else among the packaged ones."""
    if not from_path.startswith("landuse/rules/rulesets/"):
        cand = Path(from_path).parent / name
        if cand.is_file():
            return str(cand), None
    try:
        return _packaged(name)
    except RulesetError:
        raise RulesetError(
            f"{from_path}: included ruleset '{name}' not found beside it nor among the "
            "packaged rulesets. Fix: correct the name in [ruleset] include/extends."
        ) from None


def load_ruleset(path: str | Path | None = None) -> Ruleset:
    """Load the default ruleset, or a zone's own file merged over it.

    Parameters
    ----------
    path : str or Path, optional
        A zone's ruleset file. Its keys are merged over the default national ruleset
        (``extends = "default.toml"`` is implied when it neither extends nor includes).
        ``None`` gives the default.

    Raises
    ------
    RulesetError
        Unknown key, wrong type, value out of range, or an industry missing from the
        容积率 table; the message names the file, the key and its line.

    Examples
    --------
    >>> rs = load_ruleset()
    >>> rs.label, rs.control["industries"]["25"]["min_far"]
    ('cn-national 1.0.0', 0.5)
    """
    if path is None:
        return default_ruleset()
    p = str(path)
    # a zone's file that neither extends nor includes is merged over the default
    merged, parts, files, blame = _load_tree(p, None, _resolver, implied=("default.toml",))
    top = parts[-1]
    return _finish(merged, top[0], top[1], tuple(parts), tuple(files), blame)


_DEFAULT: Ruleset | None = None


def default_ruleset() -> Ruleset:
    """The packaged national ruleset (``rulesets/default.toml``), loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        path, text = _packaged("default.toml")
        merged, parts, files, blame = _load_tree(path, text, _resolver)
        top = parts[-1]
        _DEFAULT = _finish(merged, top[0], top[1], tuple(parts), tuple(files), blame)
    return _DEFAULT


def line_of(text: str, path: tuple[str, ...]) -> int:
    """Line (1-based) of the key ``path`` in TOML ``text``, for messages of other ruleset
    loaders (the supply ruleset)."""
    return _line_of(text, path)
