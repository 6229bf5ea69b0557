"""Zone-level land-use intensity indicators (domain.md §2.3) from assessed parcels.

The 规程's statistics use land-accounting categories (A, A2, B, B21, D, G: domain.md §2.2).
A parcel register does not carry them, so they are derived from parcel fields; the mapping
is :data:`CATEGORY_MAPPING` and every indicator row states it. Indicators the data do not
allow are returned with ``computed = False`` and the reason, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.report.sums import ExactSum
from landuse.standard import field_name_zh
from landuse.units import M2_PER_HA

__all__ = [
    "CATEGORIES",
    "CATEGORY_MAPPING",
    "INDICATOR_COLUMNS",
    "IndicatorPart",
    "indicator_part",
    "indicators_from",
    "land_categories",
    "zone_indicators",
]

BUILT_LIFECYCLES = ("built_not_producing", "producing_below_target", "in_use")
INDUSTRIAL_USES = ("industrial", "storage")

CATEGORY_MAPPING: dict[str, dict[str, str]] = {
    "A": {
        "zh": "A 已建成城镇建设用地 = 五未阶段为建而未投、投而未达或正常使用，"
        "或有竣工日期的宗地",
        "en": "A built-up construction land = parcels whose lifecycle is built_not_producing, "
        "producing_below_target or in_use, or that have a completion_date",
    },
    "A1": {
        "zh": "A1 住宅用地 = A 中土地用途为住宅的宗地",
        "en": "A1 residential = A parcels with land_use residential",
    },
    "A2": {
        "zh": "A2 工矿仓储用地 = A 中土地用途为工业或仓储的宗地",
        "en": "A2 industrial and storage = A parcels with land_use industrial or storage",
    },
    "B": {
        "zh": "B 其他土地 = 台账内未建成(非 A)的宗地",
        "en": "B other land = register parcels not in A",
    },
    "B21": {
        "zh": "B21 已达到供地条件的其他土地 = B 中有批准日期或供地日期的宗地"
        "（台账未记录三通一平，按已批准即具备供地条件计）",
        "en": "B21 other land meeting supply conditions = B parcels with an approval_date or a "
        "supply_date (servicing, 三通一平, is not recorded: approved land is taken as serviced)",
    },
    "D": {
        "zh": "D 已供应国有建设用地 = 有供地日期的宗地",
        "en": "D supplied state construction land = parcels with a supply_date",
    },
    "G": {
        "zh": "G 闲置土地 = 闲置类型为未动工闲置或中止开发闲置的宗地",
        "en": "G idle land = parcels with idle_type not_started or stalled",
    },
}
"""How each land-accounting category is derived from parcel fields."""

INDICATOR_COLUMNS = (
    "key", "name_zh", "name_en", "value", "unit", "formula", "formula_zh", "numerator",
    "denominator",
    "parcels_used", "computed", "basis_zh", "basis_en",
)
"""Columns of :func:`zone_indicators`' result."""


def _area_m2(parcels: pd.DataFrame) -> pd.Series:
    if "area_m2" in parcels:
        return parcels["area_m2"].astype(float)
    if "area_mu" in parcels:
        return parcels["area_mu"].astype(float) * (10000.0 / 15.0)
    from landuse.core.area import ellipsoidal_area_m2

    return pd.Series(ellipsoidal_area_m2(parcels.geometry), index=parcels.index)


def land_categories(parcels: pd.DataFrame) -> pd.DataFrame:
    """Boolean columns A, A1, A2, B, B21, D, G per parcel (see :data:`CATEGORY_MAPPING`).

    A column is all-NA when the fields it needs are absent.
    """
    idx = parcels.index
    na = pd.Series(pd.NA, index=idx, dtype="boolean")
    out = pd.DataFrame(index=idx)
    if "lifecycle" in parcels or "completion_date" in parcels:
        a = pd.Series(False, index=idx)
        if "lifecycle" in parcels:
            a |= parcels["lifecycle"].isin(BUILT_LIFECYCLES)
        if "completion_date" in parcels:
            a |= pd.to_datetime(parcels["completion_date"], errors="coerce").notna()
        out["A"] = a.astype("boolean")
    else:
        out["A"] = na
    if "land_use" in parcels and out["A"].notna().all():
        out["A1"] = (out["A"] & (parcels["land_use"] == "residential")).astype("boolean")
        out["A2"] = (out["A"] & parcels["land_use"].isin(INDUSTRIAL_USES)).astype("boolean")
    else:
        out["A1"] = na
        out["A2"] = na
    out["B"] = ~out["A"]
    if "supply_date" in parcels:
        d = pd.to_datetime(parcels["supply_date"], errors="coerce").notna()
        out["D"] = d.astype("boolean")
    else:
        out["D"] = na
    approved = pd.Series(False, index=idx)
    if "approval_date" in parcels:
        approved |= pd.to_datetime(parcels["approval_date"], errors="coerce").notna()
    if "lifecycle" in parcels:
        approved |= parcels["lifecycle"] == "approved_unsupplied"
    if "supply_date" in parcels:
        approved |= out["D"].fillna(False).astype(bool)
    out["B21"] = (out["B"] & approved).astype("boolean")
    if "idle_type" in parcels:
        out["G"] = parcels["idle_type"].isin(["not_started", "stalled"]).astype("boolean")
    else:
        out["G"] = na
    return out


@dataclass
class _Ind:
    key: str
    zh: str
    en: str
    unit: str
    formula: str
    formula_zh: str = ""
    """The formula as a Chinese table writes it (fields by their Chinese names)."""


_DEFS = [
    _Ind("land_development_rate", "土地开发率", "land development rate", "%",
         "(A + B21) / (A + B)", "(A + B21) / (A + B)"),
    _Ind("land_supply_rate", "土地供应率", "land supply rate", "%", "D / (A + B21)",
         "D / (A + B21)"),
    _Ind("land_built_rate", "土地建成率", "land built-up rate", "%", "A / D", "A / D"),
    _Ind("industrial_land_share", "工业用地率", "industrial land share", "%", "A2 / A",
         "A2 / A"),
    _Ind("overall_far", "综合容积率", "overall floor-area ratio", "",
         "Σ floor_area_m2 on A / A", "A 中计容建筑面积之和 / A"),
    _Ind("building_density", "建筑密度", "building density", "%", "Σ footprint_m2 on A / A",
         "A 中建筑基底面积之和 / A"),
    _Ind("industrial_far", "工业用地综合容积率", "industrial floor-area ratio", "",
         "Σ floor_area_m2 on A2 / A2", "A2 中计容建筑面积之和 / A2"),
    _Ind("industrial_coverage", "工业用地建筑系数", "industrial building coverage", "%",
         "Σ (footprint_m2 + yard_area_m2) on A2 / A2",
         "A2 中(建筑基底面积 + 露天堆场面积)之和 / A2"),
    _Ind("fixed_asset_intensity", "工业用地固定资产投入强度", "industrial fixed-asset investment "
         "intensity", "万元/公顷", "Σ invested_wan on A2 / A2 (ha)",
         "A2 中已投资额之和 / A2(公顷)"),
    _Ind("industrial_tax_per_ha", "工业用地地均税收", "industrial tax per hectare", "万元/公顷",
         "Σ tax_wan on A2 / A2 (ha)", "A2 中税收之和 / A2(公顷)"),
    _Ind("overall_tax_per_ha", "综合地均税收", "overall tax per hectare", "万元/公顷",
         "Σ tax_wan on A / A (ha)", "A 中税收之和 / A(公顷)"),
    _Ind("idle_land_rate", "土地闲置率", "idle land rate", "%", "G / D", "G / D"),
]


def _row(d: _Ind, value: float | None, num: float | None, den: float | None, used: int,
         basis_zh: str, basis_en: str) -> dict[str, Any]:
    ok = value is not None and np.isfinite(value)
    return {
        "key": d.key, "name_zh": d.zh, "name_en": d.en,
        "value": round(float(value), 2 if d.unit == "" else 1) if ok else None,  # type: ignore[arg-type]
        "unit": d.unit, "formula": d.formula, "formula_zh": d.formula_zh,
        "numerator": round(float(num), 2) if ok and num is not None else None,
        "denominator": round(float(den), 2) if ok and den is not None else None,
        "parcels_used": int(used), "computed": bool(ok),
        "basis_zh": basis_zh, "basis_en": basis_en,
    }


def _cats_text(keys: tuple[str, ...], lang: str) -> str:
    return "；".join(CATEGORY_MAPPING[k][lang] for k in keys) if lang == "zh" else "; ".join(
        CATEGORY_MAPPING[k][lang] for k in keys
    )


_NEED_FIELDS = {
    "A": "lifecycle / completion_date", "A1": "land_use", "A2": "land_use",
    "B": "lifecycle / completion_date", "B21": "lifecycle / completion_date",
    "D": "supply_date", "G": "idle_type",
}
"""The fields a land category is derived from (named when the category cannot be)."""

_EXTRA_BASIS = {
    "building_density": (
        "建筑基底面积按标准含建筑物和构筑物，故略高于只计建筑物的建筑密度",
        "footprint_m2 includes structures (standard), so this is slightly above a "
        "buildings-only density",
    ),
    "industrial_coverage": (
        "按2008年控制指标口径计入露天堆场",
        "open yards counted, as in the 2008 control-indicator formula",
    ),
    "fixed_asset_intensity": (
        "已投资额为累计投资（不含地价）",
        "invested_wan is cumulative investment excluding the land price",
    ),
}
"""What the basis of a computed indicator adds about its data (zh, en)."""


def _in(mask: pd.Series) -> pd.Series:
    return mask.fillna(False).astype(bool)


def _fields_zh(spec: str) -> str:
    """``lifecycle / completion_date`` as a Chinese sentence names it: 五未阶段或竣工日期."""
    return "或".join(field_name_zh(f) for f in spec.split(" / "))


CATEGORIES: tuple[str, ...] = ("A", "A1", "A2", "B", "B21", "D", "G")
"""The land categories of :func:`land_categories`, in the order of their bits."""

_OPTIONAL_FIELDS = ("yard_area_m2",)
_SPECS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "overall_far": ("A", ("floor_area_m2",), ()),
    "building_density": ("A", ("footprint_m2",), ()),
    "industrial_far": ("A2", ("floor_area_m2",), ()),
    "industrial_coverage": ("A2", ("footprint_m2",), _OPTIONAL_FIELDS),
    "fixed_asset_intensity": ("A2", ("invested_wan",), ()),
    "industrial_tax_per_ha": ("A2", ("tax_wan",), ()),
    "overall_tax_per_ha": ("A", ("tax_wan",), ()),
}
"""Each intensity: its category, the fields a parcel needs, the optional fields added."""
_FIELDS = ("floor_area_m2", "footprint_m2", "yard_area_m2", "invested_wan", "tax_wan")


@dataclass(frozen=True)
class _Intensity:
    """An intensity's parcels: in its category, with its fields, their sums, and how many
    of those lack each optional field."""

    n_cat: int
    n_have: int
    total: ExactSum
    area_ha: ExactSum
    missing: tuple[int, ...]

    def __add__(self, o: _Intensity) -> _Intensity:
        return _Intensity(self.n_cat + o.n_cat, self.n_have + o.n_have, self.total + o.total,
                          self.area_ha + o.area_ha,
                          tuple(a + b for a, b in zip(self.missing, o.missing, strict=True)))


@dataclass(frozen=True)
class IndicatorPart:
    """What the indicators need of some parcels: the categories that cannot be derived
    (their fields absent), the value fields present, each category's exact area in ha,
    the parcels per combination of categories (bit i: :data:`CATEGORIES`\\[i]) and each
    intensity's sums. Parts add (:meth:`__add__`); the indicators of the sum equal those of
    all the parcels at once (:func:`indicators_from`)."""

    not_derived: frozenset[str]
    fields: frozenset[str]
    area_ha: dict[str, ExactSum]
    patterns: tuple[int, ...]
    intensities: dict[str, _Intensity]

    def __add__(self, o: IndicatorPart) -> IndicatorPart:
        return IndicatorPart(
            self.not_derived & o.not_derived, self.fields | o.fields,
            {k: self.area_ha[k] + o.area_ha[k] for k in CATEGORIES},
            tuple(a + b for a, b in zip(self.patterns, o.patterns, strict=True)),
            {k: self.intensities[k] + o.intensities[k] for k in _SPECS},
        )


def indicator_part(parcels: pd.DataFrame) -> IndicatorPart:
    """The :class:`IndicatorPart` of ``parcels`` (assessed, with the register fields).

    A field absent from ``parcels`` counts as missing on each of them (as when parcels
    without it are put together with parcels that have it)."""
    cats = land_categories(parcels)
    area_ha = (_area_m2(parcels) / M2_PER_HA).to_numpy(dtype=np.float64)
    member = {k: _in(cats[k]).to_numpy() for k in CATEGORIES}
    bits = np.zeros(len(parcels), dtype=np.int64)
    for i, k in enumerate(CATEGORIES):
        bits |= member[k].astype(np.int64) << i
    nan = pd.Series(np.nan, index=parcels.index)
    values = {f: pd.to_numeric(parcels[f], errors="coerce") if f in parcels else nan
              for f in _FIELDS}
    intensities = {}
    for key, (cat, fields, optional) in _SPECS.items():
        have = member[cat].copy()
        total = pd.Series(0.0, index=parcels.index)
        for f in fields:
            have &= values[f].notna().to_numpy()
            total += values[f].fillna(0.0)
        for f in optional:
            total += values[f].fillna(0.0)
        intensities[key] = _Intensity(
            int(member[cat].sum()), int(have.sum()), ExactSum.of(total.to_numpy()[have]),
            ExactSum.of(area_ha[have]),
            tuple(int((have & values[f].isna().to_numpy()).sum()) for f in optional))
    return IndicatorPart(
        frozenset(k for k in CATEGORIES if cats[k].isna().all()),
        frozenset(f for f in _FIELDS if f in parcels),
        {k: ExactSum.of(area_ha[member[k]]) for k in CATEGORIES},
        tuple(np.bincount(bits, minlength=1 << len(CATEGORIES)).tolist()),
        intensities,
    )


def _rate(d: _Ind, part: IndicatorPart, num_keys: tuple[str, ...],
          den_keys: tuple[str, ...]) -> dict[str, Any]:
    """An area share in %: the categories ``num_keys`` over ``den_keys``."""
    used_keys = tuple(dict.fromkeys((*num_keys, *den_keys)))
    miss = [k for k in used_keys if k in part.not_derived]
    if miss:
        fields = ", ".join(sorted({_NEED_FIELDS[k] for k in miss}))
        fields_zh = "、".join(dict.fromkeys(_fields_zh(_NEED_FIELDS[k]) for k in miss))
        return _row(d, None, None, None, 0,
                    f"无法计算：缺少{fields_zh}，无法确定类别 {'、'.join(miss)}",
                    f"not computed: the fields {fields} are missing, so categories "
                    f"{', '.join(miss)} cannot be derived")
    num = ExactSum.total(part.area_ha[k] for k in num_keys).value
    den = ExactSum.total(part.area_ha[k] for k in den_keys).value
    mask = sum(1 << CATEGORIES.index(k) for k in used_keys)
    n_used = sum(n for bits, n in enumerate(part.patterns) if bits & mask)
    if den <= 0:
        return _row(d, None, None, None, 0,
                    f"无法计算：分母（{' + '.join(den_keys)}）面积为 0",
                    f"not computed: the denominator ({' + '.join(den_keys)}) is 0")
    basis_zh = _cats_text(used_keys, "zh") + "；仅统计台账内宗地，台账外的区内土地未计入"
    basis_en = _cats_text(used_keys, "en") + "; only parcels in the register are counted"
    return _row(d, 100.0 * num / den, num, den, n_used, basis_zh, basis_en)


def _not_computable(d: _Ind, part: IndicatorPart, cat: str,
                    fields: tuple[str, ...]) -> dict[str, Any] | None:
    """The row saying why an intensity cannot be computed, or None when it can."""
    if cat in part.not_derived:
        f = _NEED_FIELDS[cat]
        return _row(d, None, None, None, 0, f"无法计算：缺少{_fields_zh(f)}，无法确定类别 {cat}",
                    f"not computed: the field {f} is missing, so category {cat} "
                    "cannot be derived")
    absent = [f for f in fields if f not in part.fields]
    if absent:
        return _row(d, None, None, None, 0,
                    f"无法计算：宗地数据没有{'、'.join(field_name_zh(a) for a in absent)}",
                    f"not computed: the parcels have no field {', '.join(absent)}")
    return None


def _optional_text(part: IndicatorPart, optional: tuple[str, ...],
                   missing: tuple[int, ...]) -> tuple[str, str]:
    """What the basis says of the optional fields (zh, en)."""
    opt_zh, opt_en = "", ""
    for f, n_missing in zip(optional, missing, strict=True):
        if f in part.fields:
            if n_missing:
                opt_zh += f"；{n_missing} 宗无 {f}，按 0 计"
                opt_en += f"; {n_missing} parcels have no {f}, counted as 0"
        else:
            opt_zh += f"；宗地数据没有 {f}，未计入"
            opt_en += f"; the parcels have no {f}, not counted"
    return opt_zh, opt_en


def _intensity(d: _Ind, part: IndicatorPart, money: bool = False,
               pct: bool = False) -> dict[str, Any]:
    """A per-area value of the intensity's category over its parcels that have its fields."""
    cat, fields, optional = _SPECS[d.key]
    why = _not_computable(d, part, cat, fields)
    if why is not None:
        return why
    it = part.intensities[d.key]
    n_cat, n_have = it.n_cat, it.n_have
    if n_cat == 0 or n_have == 0:
        why_zh = f"类别 {cat} 中没有宗地" if n_cat == 0 else \
            f"类别 {cat} 的 {n_cat} 宗地都没有 {', '.join(fields)} 数据"
        why_en = f"no parcel is in category {cat}" if n_cat == 0 else \
            f"none of the {n_cat} parcels in {cat} has {', '.join(fields)}"
        return _row(d, None, None, None, 0, f"无法计算：{why_zh}", f"not computed: {why_en}")
    opt_zh, opt_en = _optional_text(part, optional, it.missing)
    num_raw = it.total.value
    den_ha = it.area_ha.value
    if money:
        num, value = num_raw, num_raw / den_ha
    else:
        num = num_raw / M2_PER_HA
        value = num / den_ha * (100.0 if pct else 1.0)
    cover = 100.0 * den_ha / max(part.area_ha[cat].value, 1e-12)
    basis_zh = (f"{CATEGORY_MAPPING[cat]['zh']}；按有数据的 {n_have}/{n_cat} 宗"
                f"（占 {cat} 面积 {cover:.1f}%）计算{opt_zh}")
    basis_en = (f"{CATEGORY_MAPPING[cat]['en']}; over the {n_have} of {n_cat} parcels "
                f"with data ({cover:.1f}% of {cat} area){opt_en}")
    return _row(d, value, num, den_ha, n_have, basis_zh, basis_en)


def zone_indicators(parcels_assessed: pd.DataFrame) -> pd.DataFrame:
    """Compute the §2.3 indicators over all the given parcels (filter by zone beforehand).

    Rates are shares of area (ellipsoidal ``area_m2``) in %; intensities in 万元/公顷;
    numerators and denominators are in 公顷 (or 万元 for money). An indicator that needs a
    per-parcel value (floor area, footprint, investment, tax) uses the parcels of its
    category that have the value, and says how many of how many that is. Each row names
    the category mapping used, or why the indicator could not be computed.

    Parameters
    ----------
    parcels_assessed : DataFrame
        Parcels with the assessment columns (parcel standard §3) and the register fields.

    Returns
    -------
    DataFrame
        One row per indicator, columns :data:`INDICATOR_COLUMNS`.
    """
    return indicators_from(indicator_part(parcels_assessed))


def indicators_from(part: IndicatorPart) -> pd.DataFrame:
    """The §2.3 indicators of the parcels summed up in ``part`` (:func:`zone_indicators`:
    the part of all of them)."""
    d = {x.key: x for x in _DEFS}
    rows = [
        _rate(d["land_development_rate"], part, ("A", "B21"), ("A", "B")),
        _rate(d["land_supply_rate"], part, ("D",), ("A", "B21")),
        _rate(d["land_built_rate"], part, ("A",), ("D",)),
        _rate(d["industrial_land_share"], part, ("A2",), ("A",)),
        _intensity(d["overall_far"], part),
        _intensity(d["building_density"], part, pct=True),
        _intensity(d["industrial_far"], part),
        _intensity(d["industrial_coverage"], part, pct=True),
        _intensity(d["fixed_asset_intensity"], part, money=True),
        _intensity(d["industrial_tax_per_ha"], part, money=True),
        _intensity(d["overall_tax_per_ha"], part, money=True),
        _rate(d["idle_land_rate"], part, ("G",), ("D",)),
    ]
    for r in rows:
        if r["key"] in _EXTRA_BASIS and r["computed"]:
            r["basis_zh"] += "；" + _EXTRA_BASIS[r["key"]][0]
            r["basis_en"] += "; " + _EXTRA_BASIS[r["key"]][1]
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))
