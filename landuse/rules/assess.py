"""The assessment: idle land, 五未 stage, low efficiency and 亩均 class, as of a date.

:func:`assess` adds the fields of §3 of the parcel standard to every parcel. It is pure
(GeoDataFrame in, new GeoDataFrame out) and vectorised: every rule is a numpy expression
over whole columns; the reasons are built with pyarrow string kernels.

The rules (issue 3, domain.md §1, §3, §4, §5), with the thresholds of the ruleset:

* clock base of a supplied parcel: ``extension_until``, else ``agreed_start_date``, else
  ``delivery_date`` + 1 year;
* stalled (case B) is judged on parcels under development: started, not completed, not
  producing;
* started: ``start_evidence`` in the ruleset's list; where it is absent, a ``start_date`` on
  or before the as-of date; ``none`` means not started whatever ``start_date`` says. A
  completion or production date on or before the as-of date also means started (a
  contradiction with ``start_evidence = none`` is reported);
* "on or after base + N calendar years": the base date moved N years, 29 Feb -> 28 Feb
  (the last day of the month, as 民法典 Art. 202 counts periods);
* thresholds "below"/"above" are strict, with a relative tolerance of 1e-9 so that a value
  exactly at the threshold is never failed by floating-point noise.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landuse.core.area import add_areas, ellipsoidal_area_m2
from landuse.errors import CRSError, SchemaError
from landuse.rules._text import Date, Label, Num, Pct, Piece, Sentences, Txt, join_codes
from landuse.rules.ruleset import Ruleset, default_ruleset, load_ruleset
from landuse.standard import code_label, get_standard
from landuse.units import M2_PER_MU

__all__ = ["ASSESSMENT_COLUMNS", "INDICATORS", "LIFECYCLES", "assess"]

ASSESSMENT_COLUMNS: tuple[str, ...] = (
    "area_m2",
    "area_mu",
    "area_ha",
    "lifecycle",
    "idle_type",
    "overdue_days",
    "idle_fee_wan",
    "recovery_candidate",
    "low_efficiency",
    "failed_indicators",
    "mujun_score",
    "mujun_class",
    "flags",
    "reasons",
    "ruleset",
)
"""Columns :func:`assess` adds (§3 of the parcel standard, plus ``ruleset``)."""

LIFECYCLES: tuple[str, ...] = (
    "approved_unsupplied",
    "supplied_unused",
    "used_incomplete",
    "built_not_producing",
    "producing_below_target",
    "in_use",
    "unknown",
)
IDLE_TYPES: tuple[str, ...] = ("none", "not_started", "stalled")
"""The standard's idle types. A parcel the idle rules cannot judge gets ``none`` (not found
idle) and a reason naming the missing fields."""
INDICATORS: tuple[str, ...] = tuple(get_standard().codes["failed_indicator"])
"""Low-efficiency indicator codes, in the standard's order (its ``failed_indicator`` list)."""
CLASSES: tuple[str, ...] = ("A", "B", "C", "D", "T")

_EPS = 1e-9
_NAT = np.datetime64("NaT", "D")

_ZH_NUM = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五"}

_FIELD_ZH = {
    "approval_date": "批准日期",
    "supply_date": "供地日期",
    "agreed_start_date": "约定动工日期",
    "extension_until": "延期动工至",
    "delivery_date": "交地日期",
    "developed_area_m2": "已开发面积",
    "invested_wan": "已投资额",
    "total_investment_wan": "约定总投资",
    "land_price_wan": "土地价款",
    "floor_area_m2": "计容建筑面积",
    "industry_code": "行业代码",
    "footprint_m2": "建筑基底面积",
    "yard_area_m2": "露天堆场面积",
    "admin_area_m2": "行政办公及生活服务设施用地面积",
    "green_area_m2": "绿地面积",
    "target_invest_intensity_wan_per_mu": "约定投资强度",
    "target_tax_per_mu_wan": "约定亩均税收",
    "tax_wan": "税收",
    "area": "宗地面积",
    "production_date": "投产日期",
    "value_added_wan": "工业增加值",
    "energy_tce": "综合能耗",
    "employees": "从业人员",
    "rd_wan": "研发经费",
    "revenue_wan": "营业收入",
    "output_wan": "产值",
    "area_mu": "宗地面积",
    "area_m2": "宗地面积",
}


def _fz(name: str) -> str:
    """A field for a Chinese sentence: 中文名(name)."""
    return f"{_FIELD_ZH.get(name, name)}({name})"


def _ind(code: str) -> str:
    """Chinese name of a low-efficiency indicator, from the standard (``failed_indicator``)."""
    return code_label("failed_indicator", code, "zh")


def _date_order(
    later: np.ndarray, earlier: np.ndarray, d_later: Any, d_earlier: Any,
    names: tuple[str, str, str, str],
) -> tuple[np.ndarray, list[Any], list[Any]]:
    """A date contradiction: ``later`` lies before ``earlier`` (both recorded).

    ``names`` are (Chinese later, Chinese earlier, field later, field earlier).
    """
    zh_l, zh_e, en_l, en_e = names
    return (
        _ok(later) & _ok(earlier) & (later < earlier),
        [f"日期矛盾:{zh_l}", d_later, f"早于{zh_e}", d_earlier, ",请核对。"],
        [f"Dates contradict: {en_l} ", d_later, f" is before {en_e} ", d_earlier,
         "; check them."],
    )


def _years_zh(k: int) -> str:
    return _ZH_NUM.get(k, str(k))


# ----------------------------------------------------------------------------- input


class _Input:
    """Typed column access: every standard field as a numpy array, absent = all missing."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.n = len(df)
        self.absent: set[str] = set()
        self.ids = np.asarray(df["parcel_id"].astype(object))

    def _bad(self, name: str, mask: np.ndarray, values: Any, want: str) -> SchemaError:
        i = int(np.flatnonzero(mask)[0])
        return SchemaError(
            f"parcel {self.ids[i]!r}, field '{name}': value {values[i]!r} is not {want} "
            f"({int(mask.sum())} parcels like this). Fix: correct the value or read the file "
            "with landuse.io.read_parcels, which converts it."
        )

    def date(self, name: str) -> np.ndarray:
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, _NAT)
        s = self.df[name]
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            raw = np.asarray(s.astype(object))
            conv = pd.to_datetime(s, errors="coerce", format="ISO8601")
            bad = pd.notna(raw) & conv.isna().to_numpy()
            if bad.any():
                raise self._bad(name, bad, raw, "a date (YYYY-MM-DD)")
            s = conv
        if getattr(s.dtype, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return np.asarray(s.to_numpy(dtype="datetime64[ns]")).astype("datetime64[D]")

    def num(self, name: str) -> np.ndarray:
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, np.nan)
        s = self.df[name]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            raw = np.asarray(s.astype(object))
            conv = pd.to_numeric(s, errors="coerce")
            bad = pd.notna(raw) & np.asarray(pd.isna(conv))
            if bad.any():
                raise self._bad(name, bad, raw, "a number")
            s = conv
        return np.asarray(s.astype("float64").to_numpy(na_value=np.nan), dtype="float64")

    def boolean(self, name: str) -> np.ndarray:
        """True where the value is true; missing counts as false (the caller says so)."""
        if name not in self.df.columns:
            self.absent.add(name)
            return np.zeros(self.n, dtype=bool)
        s = self.df[name]
        if pd.api.types.is_bool_dtype(s.dtype):
            return np.asarray(s.astype("boolean").fillna(False), dtype=bool)
        raw = s.astype(object)
        uniq = pd.unique(raw[raw.notna()])
        truth: dict[Any, bool] = {True: True, False: False, "1": True, "0": False}
        words = {"true": True, "false": False, "是": True, "否": False, "有": True, "无": False}
        mapping: dict[Any, bool] = {}
        for u in uniq:
            if u in truth:
                mapping[u] = truth[u]
            elif isinstance(u, str) and u.strip().lower() in words:
                mapping[u] = words[u.strip().lower()]
            else:
                rawv = np.asarray(raw)
                raise self._bad(name, np.asarray(raw == u), rawv, "true/false")
        return np.asarray(raw.map(mapping).fillna(False), dtype=bool)

    def codes(self, name: str, list_name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Integer codes (-1 = missing) into the code list ``list_name``."""
        cats = tuple(get_standard().codes[list_name])
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, -1, dtype=np.int16), cats
        codes, uniq = pd.factorize(self.df[name], use_na_sentinel=True)
        std = get_standard()
        lookup = np.empty(len(uniq) + 1, dtype=np.int16)
        lookup[-1] = -1  # factorize's NA sentinel (-1) indexes the last slot
        for i, u in enumerate(uniq):
            code = u if u in cats else std.code_for(list_name, u)
            if code is None:
                raw = np.asarray(self.df[name].astype(object))
                raise self._bad(name, codes == i, raw, "one of the codes " + ", ".join(cats))
            lookup[i] = cats.index(code)
        return lookup[codes], cats

    def text(self, name: str) -> np.ndarray:
        if name not in self.df.columns:
            self.absent.add(name)
            return np.full(self.n, None, dtype=object)
        s = self.df[name].astype(object)
        return np.asarray(s.where(s.notna(), None), dtype=object)


def _code_is(codes: tuple[np.ndarray, tuple[str, ...]], *names: str) -> np.ndarray:
    arr, cats = codes
    out = np.zeros(len(arr), dtype=bool)
    for nm in names:
        out |= arr == cats.index(nm)
    return out


def _add_years(d: np.ndarray, years: int) -> np.ndarray:
    """``d`` + ``years`` calendar years; 29 Feb goes to 28 Feb. NaT stays NaT."""
    if years == 0:
        return d
    idx = pd.DatetimeIndex(d.astype("datetime64[ns]"))
    return np.asarray((idx + pd.DateOffset(years=years)).to_numpy()).astype("datetime64[D]")


def _ok(d: np.ndarray) -> np.ndarray:
    return ~np.isnat(d)


def _below(v: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return v < np.asarray(t) * (1 - _EPS) - _EPS * 1e-3


def _above(v: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return v > np.asarray(t) * (1 + _EPS) + _EPS * 1e-3


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = a / b
    r[~np.isfinite(r) | ~(b > 0)] = np.nan
    return r


def _industry2(values: np.ndarray) -> np.ndarray:
    """Two-digit GB/T 4754 division of each industry code ('C3411' -> '34'); None if none."""
    s = pd.Series(values, dtype=object)
    uniq = pd.unique(s[s.notna()])
    mapping: dict[Any, Any] = {}
    for u in uniq:
        m = re.match(r"^\s*[A-Za-z]?\s*(\d{2})", str(u))
        mapping[u] = m.group(1) if m else None
    return np.asarray(s.map(mapping), dtype=object) if mapping else np.asarray(s, dtype=object)


def _missing_list(lang: str, fields: list[tuple[np.ndarray, str]]) -> tuple[np.ndarray, Txt]:
    """Rows where any field is missing, and the names of the missing fields (joined)."""
    sep = "、" if lang == "zh" else ", "
    items = {(_fz(f) if lang == "zh" else f): m for m, f in fields}
    names = join_codes(len(fields[0][0]), items, sep)
    any_missing = np.zeros(len(fields[0][0]), dtype=bool)
    for m, _ in fields:
        any_missing |= m
    return any_missing, Txt(names)


# ----------------------------------------------------------------------------- assess


def assess(
    parcels: gpd.GeoDataFrame,
    as_of: str | pd.Timestamp | Any,
    ruleset: Ruleset | str | None = None,
    lang: str = "zh",
    buildings: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Assess every parcel as of a date; return a copy with the §3 assessment fields.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels in the standard's names (as :func:`landuse.io.read_parcels` gives them):
        dates datetime64, numbers float, bools nullable boolean, codes English. Only
        ``parcel_id`` and the geometry (with a CRS) are required; a missing optional column
        counts as all-missing, and a rule that needs it says so in ``reasons``.
    as_of : date-like
        The assessment date (``YYYY-MM-DD``).
    ruleset : Ruleset or path, optional
        The rules; default the packaged national ruleset. A path is loaded with
        :func:`landuse.rules.load_ruleset` (merged over the default).
    lang : {"zh", "en"}
        Language of ``reasons``.
    buildings : geopandas.GeoDataFrame, optional
        Building footprints in the parcels' CRS, for the ``outside_supply`` flag.

    Returns
    -------
    geopandas.GeoDataFrame
        The input's columns unchanged, plus :data:`ASSESSMENT_COLUMNS`. ``attrs["assessment"]``
        records the as-of date, the ruleset (name, version, parts, files), the language and
        the standard fields absent from the input.

    Raises
    ------
    SchemaError
        No ``parcel_id``, duplicate ids, or a value that is not of its field's type.
    CRSError
        Parcels without a CRS, or buildings in another CRS.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({
    ...     "parcel_id": ["P1"],
    ...     "supply_date": pd.to_datetime(["2021-06-01"]),
    ...     "agreed_start_date": pd.to_datetime(["2022-08-15"]),
    ...     "land_price_wan": [500.0],
    ...     "delay_cause": ["holder"],
    ... }, geometry=[box(39500000, 3100000, 39500100, 3100100)], crs="EPSG:4527")
    >>> r = assess(g, "2023-10-31").iloc[0]
    >>> r.lifecycle, r.idle_type, int(r.overdue_days), float(r.idle_fee_wan)
    ('supplied_unused', 'not_started', 442, 100.0)
    >>> r.reasons.split("。")[1]
    '约定动工日期2022-08-15起满一年未动工(已逾期442天),按土地价款500万元的20%征缴闲置费100万元'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    if "parcel_id" not in parcels.columns:
        raise SchemaError(
            "the parcels have no parcel_id column. Fix: name the parcel number column "
            "宗地号 / 地块编号 / parcel_id."
        )
    dup = parcels["parcel_id"].duplicated(keep=False)
    if dup.any():
        ids = parcels.loc[dup, "parcel_id"].astype(str).unique()[:5]
        raise SchemaError(
            f"parcel_id is not unique: {', '.join(ids)} appear more than once. "
            "Fix: give every parcel its own number."
        )
    if parcels.crs is None:
        raise CRSError(
            "The parcels have no CRS, so their areas cannot be measured. "
            "Fix: set it (e.g. EPSG:4490 or EPSG:4527)."
        )
    if isinstance(ruleset, Ruleset):
        rs = ruleset
    elif ruleset is None:
        rs = default_ruleset()
    else:
        rs = load_ruleset(ruleset)
    ts = pd.Timestamp(as_of)
    if pd.isna(ts):
        raise ValueError(f"as_of must be a date, not {as_of!r}")
    today = np.datetime64(ts.date(), "D")

    base_df = parcels.drop(columns=[c for c in ASSESSMENT_COLUMNS if c in parcels.columns])
    # areas on the geometry alone: no copy of the parcels' attribute columns
    geom_name = base_df.geometry.name
    out = add_areas(gpd.GeoDataFrame(base_df[[geom_name]], geometry=geom_name, crs=base_df.crs))
    n = len(out)
    inp = _Input(base_df)
    S = Sentences(n, lang)
    zh = lang == "zh"

    # ---- areas: registered area when present, else the ellipsoidal area
    reg = inp.num("registered_area_m2")
    area = np.where(reg > 0, reg, out["area_m2"].to_numpy(dtype="float64"))
    area[~(area > 0)] = np.nan
    area_mu = area / M2_PER_MU

    # ---- dates and progress
    approval = inp.date("approval_date")
    supply = inp.date("supply_date")
    delivery = inp.date("delivery_date")
    agreed = inp.date("agreed_start_date")
    ext = inp.date("extension_until")
    start = inp.date("start_date")
    susp = inp.date("suspended_since")
    completion = inp.date("completion_date")
    production = inp.date("production_date")
    ev = inp.codes("start_evidence", "start_evidence")
    cause = inp.codes("delay_cause", "delay_cause")
    status = inp.codes("enterprise_status", "enterprise_status")

    idle_rs = rs.idle
    supplied = _ok(supply) & (supply <= today)
    supply_future = _ok(supply) & (supply > today)
    approved = _ok(approval)
    completed = _ok(completion) & (completion <= today)
    producing = _ok(production) & (production <= today)
    ev_present = ev[0] >= 0
    ev_started = _code_is(ev, *idle_rs["started_evidence"])
    ev_none = _code_is(ev, "none")
    start_by_date = _ok(start) & (start <= today)
    started = ev_started | (~ev_present & start_by_date) | completed | producing

    # ---- clock base
    k_del = int(idle_rs["base_after_delivery_years"])
    from_delivery = _add_years(delivery, k_del)
    base = np.where(_ok(ext), ext, np.where(_ok(agreed), agreed, from_delivery))
    base_src = np.where(_ok(ext), 0, np.where(_ok(agreed), 1, np.where(_ok(delivery), 2, -1)))
    has_base = _ok(base)

    # ---- idle, not started (Order 53 Art. 2 case A)
    k_idle = int(idle_rs["not_started_after_years"])
    ns_candidate = supplied & ~started
    idle_ns = ns_candidate & has_base & (today >= _add_years(base, k_idle))
    ns_unknown = ns_candidate & ~has_base
    days_since_base = (today - base).astype("timedelta64[D]").astype("float64")
    days_since_base[~has_base] = np.nan

    # ---- idle, stalled (case B)
    k_st = int(idle_rs["stalled_suspended_years"])
    susp_ok = _ok(susp) & (susp <= today)
    # a completed or producing parcel is not "suspended development" (it is past 用而未尽)
    developing = supplied & started & ~completed & ~producing
    st_clock = developing & susp_ok & (today >= _add_years(susp, k_st))
    dev_ratio = _ratio(inp.num("developed_area_m2"), area)
    invested = inp.num("invested_wan")
    total_inv = inp.num("total_investment_wan")
    inv_ratio = _ratio(invested, total_inv)
    dev_thr = float(idle_rs["stalled_developed_share_below"])
    inv_thr = float(idle_rs["stalled_invested_share_below"])
    dev_known, inv_known = np.isfinite(dev_ratio), np.isfinite(inv_ratio)
    dev_low = dev_known & _below(dev_ratio, dev_thr)
    inv_low = inv_known & _below(inv_ratio, inv_thr)
    comb = idle_rs["stalled_combinator"]
    if comb == "or":
        cond_true = dev_low | inv_low
        cond_false = dev_known & ~dev_low & inv_known & ~inv_low
    else:
        cond_true = dev_low & inv_low
        cond_false = (dev_known & ~dev_low) | (inv_known & ~inv_low)
    idle_st = st_clock & cond_true
    st_unknown = st_clock & ~cond_true & ~cond_false
    days_since_susp = (today - susp).astype("timedelta64[D]").astype("float64")

    # ---- lifecycle (五未)
    lc = np.full(n, LIFECYCLES.index("unknown"), dtype=np.int8)
    lc[(approved | supply_future) & ~supplied] = 0
    lc[supplied & ~started] = 1
    lc[supplied & started & ~completed & ~producing] = 2
    lc[supplied & completed & ~producing] = 3
    sup_prod = supplied & producing
    lc[sup_prod] = 5  # in_use; producing_below_target decided after low efficiency
    lc_unknown = lc == 6

    # ---- idle type
    it = np.zeros(n, dtype=np.int8)
    it[idle_ns] = 1
    it[idle_st] = 2
    idle = idle_ns | idle_st

    overdue = np.full(n, np.nan)
    sel = ns_candidate & has_base
    overdue[sel] = np.maximum(days_since_base[sel], 0)

    # ---- consequences
    conseq_cause = _code_is(cause, *idle_rs["consequence_causes"])
    unrecorded = (cause[0] < 0) | _code_is(cause, "unknown")
    if idle_rs["unrecorded_cause_is_holder"]:
        conseq = conseq_cause | unrecorded
    else:
        conseq = conseq_cause
    check_cause = idle & unrecorded & conseq & ~conseq_cause
    exempt = idle & ~conseq
    clock = np.where(idle_ns, base, susp)
    fee_due = idle & conseq & (today >= _add_years(clock, int(idle_rs["fee_after_years"])))
    price = inp.num("land_price_wan")
    fee_share = float(idle_rs["fee_share_of_price"])
    fee = np.where(fee_due, fee_share * price, 0.0)
    k_rec = int(idle_rs["recovery_after_years"])
    rec_ns = idle_ns & (today >= _add_years(base, k_rec))
    rec_st = idle_st & (today >= _add_years(susp, k_rec))
    if not idle_rs["recovery_applies_to_stalled"]:
        rec_st[:] = False
    recovery = conseq & (rec_ns | rec_st)

    # ---- low efficiency (completed parcels)
    ctl = rs.control
    judged = supplied & (completed | producing)
    ind = _industry2(inp.text("industry_code"))
    table = ctl["industries"]
    min_far = (
        pd.Series(ind, dtype=object)
        .map({c: float(v["min_far"]) for c, v in table.items()})
        .to_numpy(dtype="float64", na_value=np.nan)
    )
    ind_name = pd.Series(ind, dtype=object).map({c: v["name"] for c, v in table.items()})
    floor = inp.num("floor_area_m2")
    far = _ratio(floor, area)
    far_fail = judged & np.isfinite(min_far) & _below(far, min_far)
    far_missing_floor = judged & ~np.isfinite(floor)
    far_missing_ind = judged & (pd.isna(ind))
    far_unknown_ind = judged & pd.notna(ind) & ~np.isfinite(min_far)

    fp = inp.num("footprint_m2")
    yd = inp.num("yard_area_m2")
    min_cov = float(ctl["min_coverage"])
    cov_fp = _ratio(fp, area)
    cov = _ratio(fp + yd, area)
    cov_fail = judged & np.isfinite(cov) & _below(cov, min_cov)
    cov_pass_fp = np.isfinite(cov_fp) & ~_below(cov_fp, min_cov)
    cov_missing_fp = judged & ~np.isfinite(fp)
    cov_missing_yd = judged & np.isfinite(fp) & ~np.isfinite(yd) & ~cov_pass_fp

    admin = _ratio(inp.num("admin_area_m2"), area)
    max_admin = float(ctl["max_admin_share"])
    admin_fail = judged & np.isfinite(admin) & _above(admin, max_admin)
    admin_missing = judged & ~np.isfinite(admin)
    green = _ratio(inp.num("green_area_m2"), area)
    max_green = float(ctl["max_green_ratio"])
    green_fail = judged & np.isfinite(green) & _above(green, max_green)
    green_missing = judged & ~np.isfinite(green)

    inv_total = invested + (np.nan_to_num(price) if ctl["invest_includes_land_price"] else 0.0)
    intensity = _ratio(inv_total, area_mu)
    t_inv_c = inp.num("target_invest_intensity_wan_per_mu")
    rs_inv = ctl.get("min_invest_intensity_wan_per_mu")
    t_inv = np.where(np.isfinite(t_inv_c), t_inv_c, np.nan if rs_inv is None else float(rs_inv))
    inv_fail = judged & np.isfinite(intensity) & np.isfinite(t_inv) & _below(intensity, t_inv)
    inv_missing_v = judged & ~np.isfinite(intensity)
    inv_missing_t = judged & ~np.isfinite(t_inv)

    tax = inp.num("tax_wan")
    tax_mu = _ratio(tax, area_mu)
    t_tax_c = inp.num("target_tax_per_mu_wan")
    rs_tax = ctl.get("min_tax_per_mu_wan")
    t_tax = np.where(np.isfinite(t_tax_c), t_tax_c, np.nan if rs_tax is None else float(rs_tax))
    tax_fail = judged & np.isfinite(tax_mu) & np.isfinite(t_tax) & _below(tax_mu, t_tax)
    tax_missing_v = judged & ~np.isfinite(tax_mu)
    tax_missing_t = judged & ~np.isfinite(t_tax)

    fails = {
        "far": far_fail,
        "coverage": cov_fail,
        "admin_share": admin_fail,
        "green_ratio": green_fail,
        "invest_intensity": inv_fail,
        "tax_per_mu": tax_fail,
    }
    low_eff = np.zeros(n, dtype=bool)
    for m in fails.values():
        low_eff |= m
    failed = join_codes(n, fails)

    bad_status = _code_is(status, "stopped", "zombie", "bankrupt")
    below = sup_prod & (bad_status | low_eff)
    lc[below] = 4

    # ---- 亩均 score and class
    mj = rs.mujun
    prod_years = int(mj["min_years_producing"])
    long_enough = producing & (today >= _add_years(production, prod_years))
    big_enough = area_mu >= float(mj["min_area_mu"])
    has_data = np.zeros(n, dtype=bool)
    for spec in mj["indicators"].values():
        if spec["numerator"] != "area_mu":
            has_data |= np.isfinite(inp.num(spec["numerator"]))
    # a parcel with no performance figure at all cannot be ranked: T, not a score of 0
    no_data = long_enough & big_enough & ~has_data
    rated = long_enough & big_enough & has_data
    score = np.zeros(n)
    mj_missing: list[tuple[np.ndarray, str]] = []
    for spec in mj["indicators"].values():
        num_v = area_mu if spec["numerator"] == "area_mu" else inp.num(spec["numerator"])
        den_name = spec["denominator"]
        den_v = area_mu if den_name == "area_mu" else inp.num(den_name)
        val = _ratio(num_v, den_v)
        sub = val / float(spec["base"])
        if spec.get("cap") is not None:
            sub = np.minimum(sub, float(spec["cap"]))
        sub = sub * float(spec["weight"])
        miss = rated & ~np.isfinite(sub)
        num_ok = np.isfinite(num_v)
        if mj["missing_value"] == "mean" and (rated & np.isfinite(sub)).any():
            fill = float(np.nanmean(sub[rated & np.isfinite(sub)]))
        else:
            fill = 0.0
        sub = np.where(np.isfinite(sub), sub, fill)
        score += sub
        if miss.any():
            label = spec["label_zh"] if zh else spec["label_en"]
            for m_f, f_name in ((miss & ~num_ok, spec["numerator"]), (miss & num_ok, den_name)):
                if m_f.any():
                    mj_missing.append((m_f, f"{label}({f_name})" if zh else f"{label} ({f_name})"))
    score[~rated] = np.nan
    cls = np.full(n, CLASSES.index("T"), dtype=np.int8)
    rank = np.full(n, np.nan)
    count = np.full(n, np.nan)
    if rated.any():
        sc = pd.Series(score[rated])
        if mj["rank_scope"] == "zone":
            zone = pd.Series(inp.text("zone")[rated], dtype=object).fillna("")
            grp = sc.groupby(zone.to_numpy())
            r = grp.rank(ascending=False, method="min").to_numpy()
            c = grp.transform("count").to_numpy(dtype="float64")
        else:
            r = sc.rank(ascending=False, method="min").to_numpy()
            c = np.full(len(sc), float(len(sc)))
        rank[rated], count[rated] = r, c
        share = r / c
        cut = mj["classes"]
        k = np.where(
            share <= cut["A"] + _EPS,
            0,
            np.where(share <= cut["B"] + _EPS, 1, np.where(share <= cut["C"] + _EPS, 2, 3)),
        )
        cls[rated] = k
    veto = np.zeros(n, dtype=bool)
    veto_cols = [c for c in mj["veto_columns"] if c in base_df.columns]
    for c in veto_cols:
        veto |= inp.boolean(c)
    vetoed = veto & (cls <= 1)
    cls_before_veto = cls.copy()
    cls[vetoed] = CLASSES.index(mj["veto_class"])

    # ---- flags
    land_use = inp.codes("land_use", "land_use")
    observed = inp.codes("observed_use", "land_use")
    use_changed = (land_use[0] >= 0) & (observed[0] >= 0) & (land_use[0] != observed[0])
    mortgaged = inp.boolean("mortgaged")
    mortgaged_idle = idle & mortgaged
    outside = np.zeros(n, dtype=bool)
    out_count = np.zeros(n)
    out_area = np.zeros(n)
    outside_meta: dict[str, Any] = {}
    if buildings is not None:
        outside, out_count, out_area, outside_meta = _outside_supply(out, supplied, buildings)
    flags = join_codes(
        n,
        {"use_changed": use_changed, "mortgaged_idle": mortgaged_idle, "outside_supply": outside},
    )

    # =========================================================== reasons
    dS, dA, dP, dC, dPr = (
        Date(supply),
        Date(approval),
        Date(start),
        Date(completion),
        Date(production),
    )
    # stage sentences
    S.add(
        lc_unknown,
        ["无法判定五未阶段:缺少", _fz("approval_date"), "和", _fz("supply_date"), "。"],
        ["Lifecycle stage not judged: approval_date and supply_date are missing."],
    )
    S.add(
        (lc == 0) & approved & ~supply_future,
        ["已批准(批准日期", dA, ")未供地,属批而未供。"],
        ["Approved (", dA, ") but not supplied: approved_unsupplied."],
    )
    S.add(
        (lc == 0) & supply_future,
        ["供地日期", dS, "晚于评估基准日,按未供地计,属批而未供。"],
        ["Supply date ", dS, " is after the as-of date, so not yet supplied: approved_unsupplied."],
    )
    S.add(
        lc == 1,
        ["已供地(供地日期", dS, ")未动工,属供而未用。"],
        ["Supplied (", dS, ") but not started: supplied_unused."],
    )
    S.add(
        lc == 2,
        ["已动工未竣工,属用而未尽。"],
        ["Started but not completed: used_incomplete."],
    )
    S.add(
        lc == 3,
        ["已竣工(竣工日期", dC, ")未投产,属建而未投。"],
        ["Completed (", dC, ") but not in production: built_not_producing."],
    )
    st_lab_zh = ("正常经营", "已停产", "为僵尸企业", "已破产")
    st_lab_en = ("operating", "stopped", "a zombie enterprise", "bankrupt")
    st_codes = np.maximum(status[0], 0)
    S.add(
        (lc == 4) & bad_status,
        ["已投产(投产日期", dPr, ")但企业", Label(st_codes, st_lab_zh), ",属投而未达。"],
        [
            "In production (",
            dPr,
            ") but the enterprise is ",
            Label(st_codes, st_lab_en),
            ": producing_below_target.",
        ],
    )
    S.add(
        (lc == 4) & ~bad_status,
        ["已投产(投产日期", dPr, ")但存在低效指标(", Txt(failed), "),属投而未达。"],
        [
            "In production (",
            dPr,
            ") but fails indicators (",
            Txt(failed),
            "): producing_below_target.",
        ],
    )
    S.add(
        lc == 5,
        ["已投产(投产日期", dPr, "),属正常使用。"],
        ["In production since ", dPr, ": in_use."],
    )

    # idle: not started
    dBase, dExt, dAg, dDel = Date(base), Date(ext), Date(agreed), Date(delivery)
    nk_zh = _years_zh(k_idle)
    base_zh = [
        ("延长动工期限至", dExt),
        ("约定动工日期", dAg),
    ]
    fee_zh: list[Any] = [
        ",按土地价款",
        Num(price),
        "万元的",
        Pct(np.full(n, fee_share), 0),
        "%征缴闲置费",
        Num(fee),
        "万元",
    ]
    fee_en: list[Any] = [
        "; idle fee ",
        Pct(np.full(n, fee_share), 0),
        " % of the land price ",
        Num(price),
        " = ",
        Num(fee),
        " (10k yuan)",
    ]
    has_price = np.isfinite(price)
    rk_zh = _years_zh(k_rec)
    fee_ok = fee_due & has_price
    rec_zh: list[Any] = [",且满", rk_zh, "年可报请无偿收回"]
    rec_en: list[Any] = [f"; {k_rec} years or more: may be recovered without compensation"]
    for has_fee in (True, False):
        for has_rec in (True, False):
            m_c = (fee_ok if has_fee else ~fee_ok) & (recovery if has_rec else ~recovery)
            fz = fee_zh if has_fee else []
            fe = fee_en if has_fee else []
            rz = rec_zh if has_rec else []
            re_ = rec_en if has_rec else []
            for src_i, (lab_zh, dsrc) in enumerate(base_zh):
                lab_en = ("the extended start date ", "the agreed start date ")[src_i]
                S.add(
                    idle_ns & (base_src == src_i) & m_c,
                    [
                        lab_zh,
                        dsrc,
                        "起满",
                        nk_zh,
                        "年未动工(已逾期",
                        Num(overdue, 0),
                        "天)",
                        *fz,
                        *rz,
                        "。",
                    ],
                    [
                        f"Not started {k_idle} full year(s) after ",
                        lab_en,
                        dsrc,
                        " (",
                        Num(overdue, 0),
                        " days overdue)",
                        *fe,
                        *re_,
                        ".",
                    ],
                )
            S.add(
                idle_ns & (base_src == 2) & m_c,
                [
                    "未约定动工日期,以交地日期",
                    dDel,
                    "后",
                    str(k_del),
                    "年即",
                    dBase,
                    "为动工日期,起满",
                    nk_zh,
                    "年未动工(已逾期",
                    Num(overdue, 0),
                    "天)",
                    *fz,
                    *rz,
                    "。",
                ],
                [
                    "No agreed start date: start date taken as delivery ",
                    dDel,
                    f" + {k_del} year(s) = ",
                    dBase,
                    f"; not started {k_idle} full year(s) after it (",
                    Num(overdue, 0),
                    " days overdue)",
                    *fe,
                    *re_,
                    ".",
                ],
            )
    not_yet = ns_candidate & has_base & ~idle_ns
    days_left = (_add_years(base, k_idle) - today).astype("timedelta64[D]").astype("float64")
    S.add(
        not_yet,
        [
            "动工期限基准日",
            dBase,
            "起未满",
            nk_zh,
            "年,尚不构成闲置(还差",
            Num(days_left, 0),
            "天)。",
        ],
        [
            f"Not yet {k_idle} full year(s) after the start date ",
            dBase,
            " (",
            Num(days_left, 0),
            " days to go): not idle.",
        ],
    )
    fee_no_price_zh: list[Piece] = [
        "应按土地价款",
        Pct(np.full(n, fee_share), 0),
        "%征缴闲置费,但缺少",
        _fz("land_price_wan"),
        ",无法计算金额。",
    ]
    fee_no_price_en: list[Piece] = [
        "An idle fee of ",
        Pct(np.full(n, fee_share), 0),
        " % of the land price is due, but land_price_wan is missing.",
    ]
    S.add(idle_ns & fee_due & ~has_price, fee_no_price_zh, fee_no_price_en)
    S.add(
        ns_unknown,
        [
            "已供地未动工,但缺少",
            _fz("agreed_start_date"),
            "、",
            _fz("extension_until"),
            "和",
            _fz("delivery_date"),
            ",无法判定是否闲置。",
        ],
        [
            "Supplied and not started, but agreed_start_date, extension_until and delivery_date "
            "are all missing: idleness cannot be judged."
        ],
    )
    S.add(
        supplied & ev_none & start_by_date & ~completed & ~producing,
        ["动工依据为未动工,实际动工日期", dP, "不计为动工。"],
        ["start_evidence is none, so the start_date ", dP, " does not count as a start."],
    )

    # idle: stalled
    comb_zh = "或" if comb == "or" else "且"
    dev_piece_zh: list[Any] = ["已开发面积占宗地", Pct(dev_ratio), "%"]
    inv_piece_zh: list[Any] = ["已投资额占总投资", Pct(inv_ratio), "%"]
    sk_zh = _years_zh(k_st)
    st_findings: list[tuple[np.ndarray, list[Any], list[Any]]] = [
        (
            dev_low & inv_low,
            [
                *dev_piece_zh,
                "(低于",
                Pct(np.full(n, dev_thr)),
                "%)且",
                *inv_piece_zh,
                "(低于",
                Pct(np.full(n, inv_thr)),
                "%)",
            ],
            [
                "developed area is ",
                Pct(dev_ratio),
                " % of the parcel (below ",
                Pct(np.full(n, dev_thr)),
                " %) and investment ",
                Pct(inv_ratio),
                " % of the total (below ",
                Pct(np.full(n, inv_thr)),
                " %)",
            ],
        ),
        (
            dev_low & ~inv_low,
            [*dev_piece_zh, "(低于", Pct(np.full(n, dev_thr)), "%)"],
            [
                "developed area is ",
                Pct(dev_ratio),
                " % of the parcel (below ",
                Pct(np.full(n, dev_thr)),
                " %)",
            ],
        ),
        (
            ~dev_low & inv_low,
            [*inv_piece_zh, "(低于", Pct(np.full(n, inv_thr)), "%)"],
            [
                "investment is ",
                Pct(inv_ratio),
                " % of the total (below ",
                Pct(np.full(n, inv_thr)),
                " %)",
            ],
        ),
    ]
    dSu = Date(susp)
    for m_ratio, pz, pe in st_findings:
        for has_fee in (True, False):
            for has_rec in (True, False):
                m_c = (fee_ok if has_fee else ~fee_ok) & (recovery if has_rec else ~recovery)
                S.add(
                    idle_st & m_ratio & m_c,
                    [
                        "自",
                        dSu,
                        "中止开发满",
                        sk_zh,
                        "年(已",
                        Num(days_since_susp, 0),
                        "天),",
                        *pz,
                        f",按“{comb_zh}”判定属中止开发闲置",
                        *(fee_zh if has_fee else []),
                        *(rec_zh if has_rec else []),
                        "。",
                    ],
                    [
                        "Development suspended since ",
                        dSu,
                        f" for {k_st} full year(s) (",
                        Num(days_since_susp, 0),
                        " days) and ",
                        *pe,
                        f" (combinator '{comb}'): stalled idle land",
                        *(fee_en if has_fee else []),
                        *(rec_en if has_rec else []),
                        ".",
                    ],
                )
    S.add(idle_st & fee_due & ~has_price, fee_no_price_zh, fee_no_price_en)
    _, st_names = _missing_list(
        lang,
        [
            (st_unknown & ~np.isfinite(inp.num("developed_area_m2")), "developed_area_m2"),
            (st_unknown & ~np.isfinite(invested), "invested_wan"),
            (st_unknown & ~(total_inv > 0), "total_investment_wan"),
            (st_unknown & ~np.isfinite(area), "area"),
        ],
    )
    S.add(
        st_unknown,
        [
            "自",
            dSu,
            "中止开发满",
            sk_zh,
            "年,但缺少",
            st_names,
            f",无法按“{comb_zh}”判定是否闲置。",
        ],
        [
            "Development suspended since ",
            dSu,
            f" for {k_st} full year(s), but ",
            st_names,
            f" missing: stalled idleness cannot be judged (combinator '{comb}').",
        ],
    )

    # causes
    S.add(
        check_cause,
        [
            "闲置原因未记录(",
            "delay_cause",
            "),须核实是否属政府原因或不可抗力;核实前按用地单位原因处理。",
        ],
        [
            "The cause of the delay (delay_cause) is not recorded: it must be checked whether "
            "the government or force majeure caused it; until then it is treated as the holder's."
        ],
    )
    cause_lab_zh = ("用地单位原因", "政府原因", "不可抗力", "原因不明")
    cause_lab_en = ("the holder", "the government", "force majeure", "an unknown cause")
    cause_codes = np.maximum(cause[0], 0)
    S.add(
        exempt,
        [
            "闲置系",
            Label(cause_codes, cause_lab_zh),
            "造成,不征缴闲置费、不无偿收回,应协商处置:"
            "延长动工期限(不超过一年)、调整土地用途或规划条件、由政府安排临时使用(不超过两年)、"
            "协议有偿收回、置换土地或其他方式。",
        ],
        [
            "The delay was caused by ",
            Label(cause_codes, cause_lab_en),
            ": no idle fee and no recovery; negotiate a disposal: extend the start date (at most "
            "one year), change the use or planning conditions, temporary use arranged by the "
            "government (at most two years), negotiated paid recovery, a land swap, or another "
            "method.",
        ],
    )

    # low efficiency
    ind_txt = Txt(np.asarray(ind_name, dtype=object))
    ind_code = Txt(ind)
    S.add(
        far_fail,
        [_ind("far"), Num(far), "低于", ind_txt, "(", ind_code, ")控制指标", Num(min_far), "。"],
        [
            "Floor-area ratio ",
            Num(far),
            " is below the minimum ",
            Num(min_far),
            " for industry ",
            ind_code,
            ".",
        ],
    )
    S.add(
        cov_fail,
        [_ind("coverage"), Pct(cov), "%低于", Pct(np.full(n, min_cov)), "%。"],
        ["Building coverage ", Pct(cov), " % is below ", Pct(np.full(n, min_cov)), " %."],
    )
    S.add(
        admin_fail,
        ["行政办公及生活服务设施用地占", Pct(admin), "%,高于", Pct(np.full(n, max_admin)), "%。"],
        [
            "Office and living facilities take ",
            Pct(admin),
            " % of the land, above ",
            Pct(np.full(n, max_admin)),
            " %.",
        ],
    )
    S.add(
        green_fail,
        [_ind("green_ratio"), Pct(green), "%高于", Pct(np.full(n, max_green)), "%。"],
        ["Green ratio ", Pct(green), " % is above ", Pct(np.full(n, max_green)), " %."],
    )
    t_inv_src_zh = np.where(np.isfinite(t_inv_c), "约定值", "规则值")
    t_inv_src_en = np.where(np.isfinite(t_inv_c), "contract", "ruleset")
    S.add(
        inv_fail,
        [_ind("invest_intensity"), Num(intensity), "万元/亩低于", Txt(t_inv_src_zh), Num(t_inv),
         "万元/亩。"],
        [
            "Investment intensity ",
            Num(intensity),
            " (10k yuan/mu) is below the ",
            Txt(t_inv_src_en),
            " target ",
            Num(t_inv),
            ".",
        ],
    )
    t_tax_src_zh = np.where(np.isfinite(t_tax_c), "约定值", "规则值")
    t_tax_src_en = np.where(np.isfinite(t_tax_c), "contract", "ruleset")
    S.add(
        tax_fail,
        [_ind("tax_per_mu"), Num(tax_mu), "万元/亩低于", Txt(t_tax_src_zh), Num(t_tax),
         "万元/亩。"],
        [
            "Tax per mu ",
            Num(tax_mu),
            " (10k yuan) is below the ",
            Txt(t_tax_src_en),
            " target ",
            Num(t_tax),
            ".",
        ],
    )
    if zh:
        items = {
            f"{_ind('far')}(缺少floor_area_m2)": far_missing_floor,
            f"{_ind('far')}(缺少industry_code)": far_missing_ind,
            f"{_ind('far')}(控制表无此行业)": far_unknown_ind,
            f"{_ind('coverage')}(缺少footprint_m2)": cov_missing_fp,
            f"{_ind('coverage')}(缺少yard_area_m2)": cov_missing_yd,
            f"{_ind('admin_share')}(缺少admin_area_m2)": admin_missing,
            f"{_ind('green_ratio')}(缺少green_area_m2)": green_missing,
            f"{_ind('invest_intensity')}(缺少invested_wan)": inv_missing_v,
            f"{_ind('invest_intensity')}(无约定值或规则值)": inv_missing_t,
            f"{_ind('tax_per_mu')}(缺少tax_wan)": tax_missing_v,
            f"{_ind('tax_per_mu')}(无约定值或规则值)": tax_missing_t,
        }
    else:
        items = {
            "far (floor_area_m2 missing)": far_missing_floor,
            "far (industry_code missing)": far_missing_ind,
            "far (industry not in the control table)": far_unknown_ind,
            "coverage (footprint_m2 missing)": cov_missing_fp,
            "coverage (yard_area_m2 missing)": cov_missing_yd,
            "admin_share (admin_area_m2 missing)": admin_missing,
            "green_ratio (green_area_m2 missing)": green_missing,
            "invest_intensity (invested_wan missing)": inv_missing_v,
            "invest_intensity (no contract or ruleset target)": inv_missing_t,
            "tax_per_mu (tax_wan missing)": tax_missing_v,
            "tax_per_mu (no contract or ruleset target)": tax_missing_t,
        }
    unj = np.zeros(n, dtype=bool)
    for m in items.values():
        unj |= m
    unj_txt = Txt(join_codes(n, items, "、" if zh else "; "))
    S.add(
        unj,
        ["低效用地指标未能判定:", unj_txt, "。"],
        ["Low-efficiency indicators not judged: ", unj_txt, "."],
    )

    # 亩均
    cls_lab = Label(cls, CLASSES)
    S.add(
        rated & ~vetoed,
        [
            "亩均效益得分",
            Num(score),
            ",在",
            Num(count, 0),
            "个参评宗地中排第",
            Num(rank, 0),
            "名,评为",
            cls_lab,
            "类。",
        ],
        [
            "Mu-average score ",
            Num(score),
            ", rank ",
            Num(rank, 0),
            " of ",
            Num(count, 0),
            " rated: class ",
            cls_lab,
            ".",
        ],
    )
    S.add(
        vetoed,
        [
            "亩均效益得分",
            Num(score),
            ",排第",
            Num(rank, 0),
            "名,应为",
            Label(cls_before_veto, CLASSES),
            "类,因一票否决事项调为",
            cls_lab,
            "类。",
        ],
        [
            "Mu-average score ",
            Num(score),
            ", rank ",
            Num(rank, 0),
            ": class ",
            Label(cls_before_veto, CLASSES),
            ", moved to ",
            cls_lab,
            " by a veto.",
        ],
    )
    if mj_missing:
        mjm = np.zeros(n, dtype=bool)
        for m_f, _ in mj_missing:
            mjm |= m_f
        mjm_names = Txt(join_codes(n, {f: m for m, f in mj_missing}, "、" if zh else "; "))
        fill_zh = "按平均分计" if mj["missing_value"] == "mean" else "按0分计"
        fill_en = "scored as the mean" if mj["missing_value"] == "mean" else "scored 0"
        S.add(
            mjm,
            ["亩均指标缺少数据,", fill_zh, ":", mjm_names, "。"],
            ["Mu-average indicators without data, ", fill_en, ": ", mjm_names, "."],
        )
    py_zh = _years_zh(prod_years)
    S.add(
        ~producing & ~lc_unknown,
        ["未投产,不参评亩均效益(T类)。"],
        ["Not in production: not rated (class T)."],
    )
    S.add(
        ~producing & lc_unknown,
        ["缺少", _fz("production_date"), ",不参评亩均效益(T类)。"],
        ["production_date missing: not rated (class T)."],
    )
    S.add(
        producing & ~long_enough,
        ["投产(", dPr, ")不满", py_zh, "年,不参评亩均效益(T类)。"],
        ["In production since ", dPr, f", under {prod_years} years: not rated (class T)."],
    )
    S.add(
        long_enough & ~big_enough & np.isfinite(area_mu),
        [
            "用地面积",
            Num(area_mu),
            "亩,不足",
            Num(np.full(n, float(mj["min_area_mu"]))),
            "亩,不参评亩均效益(T类)。",
        ],
        [
            "Area ",
            Num(area_mu),
            " mu is under ",
            Num(np.full(n, float(mj["min_area_mu"]))),
            " mu: not rated (class T).",
        ],
    )
    nd_fields = ", ".join(
        dict.fromkeys(
            spec["numerator"]
            for spec in mj["indicators"].values()
            if spec["numerator"] != "area_mu"
        )
    )
    S.add(
        no_data,
        ["亩均效益指标(", nd_fields, ")均无数据,不参评亩均效益(T类),请补充统计数据。"],
        [
            "No performance figure (",
            nd_fields,
            ") for the mu-average evaluation: not rated (class T); supply the statistics.",
        ],
    )
    if mj["veto_columns"] and not veto_cols:
        S.add(
            cls <= 1,
            ["未提供一票否决字段(", ", ".join(mj["veto_columns"]), "),未核查一票否决。"],
            ["No veto column (", ", ".join(mj["veto_columns"]), ") given: veto not checked."],
        )

    # flags
    lu_zh = tuple(get_standard().codes["land_use"][c][0] for c in land_use[1])
    lu_en = land_use[1]
    S.add(
        use_changed,
        [
            "现状用途(",
            Label(np.maximum(observed[0], 0), lu_zh),
            ")与登记用途(",
            Label(np.maximum(land_use[0], 0), lu_zh),
            ")不一致,可能擅自改变用途。",
        ],
        [
            "Observed use (",
            Label(np.maximum(observed[0], 0), lu_en),
            ") differs from the registered use (",
            Label(np.maximum(land_use[0], 0), lu_en),
            "): possible unauthorised change of use.",
        ],
    )
    S.add(
        mortgaged_idle,
        ["闲置土地已设定抵押,应通知抵押权人。"],
        ["Idle land under a mortgage: the mortgagee must be told."],
    )
    S.add(
        outside,
        [
            "宗地未供地,但有",
            Num(out_count, 0),
            "栋建筑(基底约",
            Num(out_area, 0),
            "平方米)不在任何已供宗地上,为非法占地线索。",
        ],
        [
            "Not supplied, yet ",
            Num(out_count, 0),
            " building(s) (about ",
            Num(out_area, 0),
            " m² of footprint) stand on no supplied parcel: possible illegal occupation.",
        ],
    )

    # contradictions
    contr: list[tuple[np.ndarray, list[Any], list[Any]]] = [
        _date_order(start, supply, dP, dS,
                    ("实际动工日期", "供地日期", "start_date", "supply_date")),
        _date_order(completion, start, dC, dP,
                    ("竣工日期", "实际动工日期", "completion_date", "start_date")),
        _date_order(production, completion, dPr, dC,
                    ("投产日期", "竣工日期", "production_date", "completion_date")),
        _date_order(supply, approval, dS, dA,
                    ("供地日期", "批准日期", "supply_date", "approval_date")),
        (
            ev_none & (completed | producing),
            ["记录矛盾:动工依据为未动工,但已有竣工或投产日期,按已动工计,请核对。"],
            [
                "Records contradict: start_evidence is none but the parcel has a completion or "
                "production date; treated as started, check it."
            ],
        ),
        (
            ~supplied & ~supply_future & (start_by_date | ev_started),
            ["未供地但已动工,疑似未供先用,请核对。"],
            ["Started without a supply date: possible use before supply; check it."],
        ),
    ]
    for m, pz, pe in contr:
        S.add(m, pz, pe)

    # =========================================================== output columns
    def arrow_col(arr: Any) -> pd.Series:
        col = arr.to_pandas()
        col.index = out.index
        return col

    new_cols = {
        "area_m2": out["area_m2"],
        "area_mu": out["area_mu"],
        "area_ha": out["area_ha"],
        "lifecycle": pd.Series(np.asarray(LIFECYCLES, dtype=object)[lc], index=out.index),
        "idle_type": pd.Series(np.asarray(IDLE_TYPES, dtype=object)[it], index=out.index),
        "overdue_days": pd.Series(
            pd.arrays.IntegerArray(
                np.where(np.isfinite(overdue), overdue, 0).astype("int64"),
                ~np.isfinite(overdue),
            ),
            index=out.index,
        ),
        "idle_fee_wan": pd.Series(fee, index=out.index),
        "recovery_candidate": pd.Series(recovery, index=out.index),
        "low_efficiency": pd.Series(low_eff, index=out.index),
        "failed_indicators": arrow_col(failed),
        "mujun_score": pd.Series(score, index=out.index),
        "mujun_class": pd.Series(np.asarray(CLASSES, dtype=object)[cls], index=out.index),
        "flags": arrow_col(flags),
        "reasons": arrow_col(S.join()),
        "ruleset": pd.Series(rs.label, index=out.index),
    }
    attrs = dict(base_df.attrs)
    out = gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(base_df), pd.DataFrame(new_cols)], axis=1),
        geometry=geom_name,
        crs=base_df.crs,
    )
    out.attrs.update(attrs)
    absent = sorted(inp.absent)
    out.attrs["assessment"] = {
        "as_of": str(today),
        "lang": lang,
        "ruleset": {
            "name": rs.name,
            "version": rs.version,
            "description": rs.description,
            "parts": [list(p) for p in rs.parts],
            "files": list(rs.files),
        },
        "absent_fields": absent,
        **outside_meta,
    }
    return out


def _outside_supply(
    parcels: gpd.GeoDataFrame, supplied: np.ndarray, buildings: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Buildings whose representative point lies on no supplied parcel.

    Returns, per parcel: flagged (an unsupplied parcel carrying such a building), how many
    and their footprint in m²; plus the positions of buildings on no parcel at all.
    """
    if buildings.crs is None:
        raise CRSError(
            "The buildings have no CRS. Fix: set the buildings' real CRS before assessing."
        )
    if not CRS.from_user_input(buildings.crs).equals(CRS.from_user_input(parcels.crs)):
        raise CRSError(
            f"CRS mismatch: parcels are {CRS.from_user_input(parcels.crs).to_string()}, "
            f"buildings are {CRS.from_user_input(buildings.crs).to_string()}. "
            "Fix: reproject the buildings with .to_crs(parcels.crs)."
        )
    n = len(parcels)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pts = shapely.point_on_surface(geoms[ok])
    bidx = np.flatnonzero(ok)
    tree = shapely.STRtree(np.asarray(parcels.geometry.values, dtype=object))
    b_i, p_i = tree.query(pts, predicate="within")
    on_supplied = np.zeros(len(pts), dtype=bool)
    on_supplied[b_i[supplied[p_i]]] = True
    on_any = np.zeros(len(pts), dtype=bool)
    on_any[b_i] = True
    outside_b = ~on_supplied
    sel = outside_b[b_i] & ~supplied[p_i]
    area_b = np.zeros(len(pts))
    if outside_b.any():
        area_b[outside_b] = ellipsoidal_area_m2(
            gpd.GeoSeries(geoms[ok][outside_b], crs=buildings.crs)
        )
    count = np.bincount(p_i[sel], minlength=n).astype("float64")
    area = np.bincount(p_i[sel], weights=area_b[b_i[sel]], minlength=n)
    flagged = count > 0
    nowhere = bidx[~on_any]
    meta = {
        "buildings_outside_supply": int(outside_b.sum()),
        "buildings_on_no_parcel": [int(i) for i in nowhere],
    }
    return flagged, count, area, meta
