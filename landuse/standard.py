"""The parcel data standard (v1), loaded from ``landuse/data/standard.toml``.

The standard is data, not code: one table of fields with their types, Chinese aliases and
code lists, and the assessment output (§3) with the words people read for each field.
This module loads it and answers the questions readers and writers ask: which standard
field a header means (and in which unit), which code a Chinese word means, and which
columns an assessment has. The words themselves are looked up through
:func:`landuse.labels.label`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

__all__ = [
    "AREA_UNITS",
    "ASSESSMENT_COLUMNS",
    "RECORD_LAYERS",
    "Field",
    "Standard",
    "code_label",
    "field_name_zh",
    "get_standard",
    "normalise_header",
]

Layer = Literal[
    "parcels", "ledger", "assessment",
    "batches", "reductions", "supply", "reserve", "quota_events", "supply_plan",
    "disposal_tasks", "mortgages",
]
_LAYERS: tuple[Layer, ...] = (
    "parcels", "ledger", "assessment",
    "batches", "reductions", "supply", "reserve", "quota_events", "supply_plan",
    "disposal_tasks", "mortgages",
)
RECORD_LAYERS: tuple[Layer, ...] = _LAYERS[3:]
"""The supply record layers (domain.md §11): each field carries its own zh/en words."""

AREA_UNITS: dict[str, float] = {
    "m2": 1.0,
    "平方米": 1.0,
    "㎡": 1.0,
    "亩": 10000.0 / 15.0,
    "公顷": 10000.0,
    "ha": 10000.0,
}
"""Area units a header may carry, with their size in m²."""

_UNIT_SUFFIX = re.compile(r"^(?P<base>.*?)[(（\[]?(?P<unit>m2|平方米|㎡|亩|公顷|ha)[)）\]]?$")


@dataclass(frozen=True)
class Field:
    """One field of the standard."""

    name: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    unique: bool = False
    codes: str | None = None
    multiple: bool = False
    """Several codes of ``codes`` separated by ``;`` (assessment fields such as ``flags``)."""
    unit: str | None = None
    """Key of the unit shown after the field's label (``[units]``), if it has one."""
    plausible: tuple[float, float] | None = None
    """Area fields: the range of the field's area over the parcel's measured area within
    which a source unit is plausible (used to infer a unit a header does not state)."""


@dataclass(frozen=True)
class HeaderMatch:
    """What a source header means: the standard field, the area unit and how it matched."""

    field: Field
    unit_m2: float | None = None
    unit: str | None = None
    truncated: bool = False
    unit_stated: bool = True
    """False for an area header that names no unit (an alias without (亩)/(公顷)/(m2)):
    m² by the standard, but the reader checks it against the parcels' measured areas."""


def normalise_header(text: str) -> str:
    """Fold a header for matching: NFKC, trimmed, no spaces, Latin letters lower-case.

    Full-width brackets become ASCII ones (NFKC), so ``登记面积（亩）`` and
    ``登记面积(亩)`` compare equal.

    Examples
    --------
    >>> normalise_header(" 登记面积（亩） ")
    '登记面积(亩)'
    >>> normalise_header("DKBH")
    'dkbh'
    """
    t = unicodedata.normalize("NFKC", str(text)).strip()
    t = re.sub(r"\s+", "", t)
    return t.lower()


def _cut_bytes(text: str, limit: int = 10, encoding: str = "gbk") -> str:
    """Cut ``text`` the way a shapefile cuts a field name: at ``limit`` bytes."""
    out = ""
    size = 0
    for ch in text:
        try:
            n = len(ch.encode(encoding))
        except UnicodeEncodeError:
            n = len(ch.encode("utf-8"))
        if size + n > limit:
            break
        out += ch
        size += n
    return out


class Standard:
    """The loaded standard: fields by layer, code lists, and header matching."""

    def __init__(self, data: dict) -> None:
        self.version: str = str(data["version"])
        self.fields: dict[str, tuple[Field, ...]] = {}
        for layer in _LAYERS:
            self.fields[layer] = tuple(
                Field(
                    name=f["name"],
                    type=f["type"],
                    aliases=tuple(f.get("aliases", ())),
                    required=bool(f.get("required", False)),
                    unique=bool(f.get("unique", False)),
                    codes=f.get("codes"),
                    multiple=bool(f.get("list", False)),
                    unit=f.get("unit"),
                    plausible=(
                        (float(f["plausible"][0]), float(f["plausible"][1]))
                        if "plausible" in f
                        else None
                    ),
                )
                for f in data.get(layer, ())
            )
        self.field_labels: dict[str, tuple[str, str]] = {
            f["name"]: (f["zh"], f["en"]) for f in data["assessment"]
        }
        """Words of each assessment field: name -> (Chinese, English)."""
        self.record_labels: dict[str, dict[str, tuple[str, str]]] = {
            layer: {f["name"]: (f["zh"], f["en"]) for f in data.get(layer, ())}
            for layer in RECORD_LAYERS
        }
        """Words of each supply record field: layer -> name -> (Chinese, English)."""
        self.units: dict[str, tuple[str, str]] = {
            k: (pair[0], pair[1]) for k, pair in data.get("units", {}).items()
        }
        self.codes: dict[str, dict[str, tuple[str, ...]]] = {
            k: {code: tuple(words) for code, words in v.items()} for k, v in data["codes"].items()
        }
        self.labels_en: dict[str, dict[str, str]] = {
            k: dict(v) for k, v in data.get("labels_en", {}).items()
        }
        self.labels_long: dict[str, dict[str, tuple[str, str]]] = {
            k: {code: (pair[0], pair[1]) for code, pair in v.items()}
            for k, v in data.get("labels_long", {}).items()
        }
        self._word_to_code: dict[str, dict[str, str]] = {}
        for list_name, mapping in self.codes.items():
            lookup: dict[str, str] = {}
            for code, words in mapping.items():
                lookup[normalise_header(code)] = code
                for w in words:
                    lookup[normalise_header(w)] = code
            self._word_to_code[list_name] = lookup

    def field(self, layer: Layer, name: str) -> Field:
        """Return the field ``name`` of ``layer``; KeyError if it is not standard."""
        for f in self.fields[layer]:
            if f.name == name:
                return f
        raise KeyError(name)

    def names(self, layer: Layer) -> list[str]:
        """Standard field names of ``layer`` in the standard's order."""
        return [f.name for f in self.fields[layer]]

    def match_header(self, header: str, layer: Layer = "parcels") -> HeaderMatch | None:
        """Return what ``header`` means in ``layer``, or None if it is not standard.

        Matches the English name, then each alias exactly (after
        :func:`normalise_header`), then an alias followed by an area unit, then a header
        that equals an alias (with or without unit) cut at 10 bytes as shapefiles do.
        """
        h = normalise_header(header)
        fields = self.fields[layer]
        for f in fields:
            by_name = h == f.name.lower()
            if by_name or h in (normalise_header(a) for a in f.aliases):
                unit = _unit_of_name(f.name)
                return HeaderMatch(
                    f,
                    AREA_UNITS.get(unit) if unit else None,
                    unit,
                    unit_stated=by_name or f.type != "area",
                )
        m = _UNIT_SUFFIX.match(h)
        if m and m.group("base"):
            base = m.group("base")
            for f in fields:
                if f.type == "area" and base in (normalise_header(a) for a in f.aliases):
                    unit = m.group("unit")
                    return HeaderMatch(f, AREA_UNITS[unit], unit)
        # shapefile cut: the header is exactly an alias (or alias+unit) cut at 10 bytes
        if len(h.encode("gbk", errors="replace")) >= 9 or len(h.encode("utf-8")) >= 8:
            for f in fields:
                for a in f.aliases:
                    variants = [normalise_header(a)]
                    if f.type == "area":
                        variants += [
                            normalise_header(f"{a}({u})") for u in ("亩", "公顷", "平方米")
                        ]
                    for v in variants:
                        if v != h and h in (_cut_bytes(v), _cut_bytes(v, 10, "utf-8")):
                            # a cut area header has lost its unit: the reader infers
                            # it from the parcels' areas, or reports it
                            return HeaderMatch(
                                f, None, None, truncated=True, unit_stated=f.type != "area"
                            )
        return None

    def code_for(self, list_name: str, value: object) -> str | None:
        """Return the code that ``value`` (a code or a Chinese word) means, else None."""
        if value is None:
            return None
        return self._word_to_code[list_name].get(normalise_header(str(value)))


def _unit_of_name(name: str) -> str | None:
    return "m2" if name.endswith("_m2") else None


@cache
def get_standard() -> Standard:
    """Load the bundled standard (cached)."""
    text = resources.files("landuse.data").joinpath("standard.toml").read_text("utf-8")
    return Standard(tomllib.loads(text))


def code_label(list_name: str, code: str, lang: str = "zh", long: bool = False) -> str:
    """Label of a code for people, through :func:`landuse.labels.label`.

    Kept for callers that show codes read from data: a code the list does not know gives
    the code itself (``_`` as spaces) instead of an error. An unknown list or language is
    a :class:`~landuse.errors.SchemaError`.

    Examples
    --------
    >>> code_label("method", "lease_then_transfer")
    '先租后让'
    >>> code_label("method", "lease_then_transfer", "en")
    'lease-then-transfer'
    >>> code_label("mujun_class", "A"), code_label("mujun_class", "A", long=True)
    ('A类', 'A类（优先发展）')
    """
    from landuse.labels import check_lang, has_label, label

    check_lang(lang)
    if has_label(list_name, code):
        return label(list_name, code, lang, long=long)
    return code.replace("_", " ")


ASSESSMENT_COLUMNS: tuple[str, ...] = tuple(get_standard().names("assessment"))
"""Columns an assessment adds, in output order: §3 of the parcel standard plus ``ruleset``."""


def field_name_zh(name: str) -> str:
    """Chinese name of a field, as sentences name it.

    An assessment field's label; otherwise the first alias of the register's or the
    ledger's field (the header a land office writes, e.g. 约定动工日期); a name the
    standard does not know is given back as it is.

    Examples
    --------
    >>> field_name_zh("agreed_start_date"), field_name_zh("mujun_score")
    ('约定动工日期', '亩均效益得分')
    """
    std = get_standard()
    if name in std.field_labels:
        return std.field_labels[name][0]
    for layer in ("parcels", "ledger"):
        for f in std.fields[layer]:
            if f.name == name and f.aliases:
                return f.aliases[0]
    return name
