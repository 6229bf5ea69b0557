"""Check supply records before anything is stored or summed (pure, no I/O).

:func:`supply_problems` lists every problem, one row each (source, row, record id, field,
value, problem, fix, severity); :func:`check_supply` raises when there is an error, so a
caller stores all or nothing. Errors: unreadable cells and unknown code words (use,
method …), missing required values, negative areas, duplicate ids and 电子监管号, a supply
record or reduction naming an unknown batch, a supply record or mortgage naming an unknown
parcel, a batch supplied (plus reduced) beyond its approved area, dates out of order. A
quota used beyond its balance is a warning: the summary shows the shortfall.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.errors import SchemaError
from landuse.standard import get_standard
from landuse.supply.model import KINDS, SupplyData

__all__ = ["PROBLEM_COLUMNS", "check_supply", "raise_errors", "supply_problems"]

PROBLEM_COLUMNS = ("source", "row", "record", "field", "value", "problem", "fix", "severity")

_ID = {
    "batches": "batch_id", "reductions": "reduction_id", "supply": "supervision_no",
    "reserve": "reserve_id", "quota_events": "event_id", "supply_plan": "year",
    "disposal_tasks": "year", "mortgages": "mortgage_id",
}
"""The field that names a record in messages."""

AREA_TOLERANCE_M2 = 0.01
"""Rounding slack when a batch's supplied and reduced area is compared with its approval."""

_DATE_ORDER = (
    ("supply", "contract_date", "agreed_delivery_date"),
    ("supply", "agreed_delivery_date", "agreed_start_date"),
    ("supply", "contract_date", "agreed_start_date"),
    ("supply", "agreed_start_date", "agreed_completion_date"),
    ("reserve", "agreement_date", "clean_land_date"),
)
"""Pairs of dates of one record that must not run backwards (first ≤ second)."""


class _Collector:
    def __init__(self, data: SupplyData) -> None:
        self.data = data
        self.rows: list[dict[str, Any]] = []

    def add(self, kind: str, pos: Any, field: str, problem: str, fix: str,
            severity: str = "error", values: Any = None) -> None:
        frame = self.data.layer(kind)
        idf = _ID[kind]
        for j, i in enumerate(np.asarray(pos, dtype=int)):
            v = frame[field].iloc[i] if values is None and field in frame.columns else (
                None if values is None else values[j])
            self.rows.append({
                "source": self.data.sources.get(kind, kind), "row": int(i) + 1,
                "record": None if idf not in frame.columns else _s(frame[idf].iloc[i]),
                "field": field, "value": _s(v), "problem": problem, "fix": fix,
                "severity": severity,
            })


def _s(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    return str(v)


def _blank(s: pd.Series) -> np.ndarray:
    return np.asarray(s.isna().to_numpy() | (s.astype(object).astype(str).str.strip() == ""))


def supply_problems(data: SupplyData, parcel_ids: Any = None,
                    parcel_batches: Any = None) -> pd.DataFrame:
    """Every problem of ``data``, errors and warnings, in the order of the layers.

    Parameters
    ----------
    data : SupplyData
        Records as read (cells the reader could not parse are in each frame's
        ``attrs["landuse"]["cells"]``).
    parcel_ids : iterable of str, optional
        The register's parcel ids; when given, supply records and mortgages must name one.
    parcel_batches : mapping, optional
        The register's ``batch_id`` by parcel id (parcels reference their batch): a supply
        record naming another batch than its parcel's is an error.

    Returns
    -------
    DataFrame
        Columns :data:`PROBLEM_COLUMNS`; rows are 1-based records of the source.
    """
    c = _Collector(data)
    std = get_standard()
    for kind in KINDS:
        frame = data.layer(kind)
        cells = frame.attrs.get("landuse", {}).get("cells", {})
        for name in frame.attrs.get("landuse", {}).get("units_assumed", []):
            c.rows.append({
                "source": data.sources.get(kind, kind), "row": None, "record": None,
                "field": name, "value": None, "severity": "warning",
                "problem": "area header states no unit: read as m² 面积列未注明单位，按平方米读取",
                "fix": "if the column is in 亩 or 公顷, write the unit in its header, e.g. "
                       "批准面积(亩)"})
        for r, f, v, prob, fix in zip(cells.get("row", []), cells.get("field", []),
                                      cells.get("value", []), cells.get("problem", []),
                                      cells.get("fix", []), strict=True):
            c.add(kind, [r], f, prob, fix, values=[v])
        for f in std.fields[kind]:
            if f.name not in frame.columns or not len(frame):
                continue
            col = frame[f.name]
            bad_cells = {r for r, ff in zip(cells.get("row", []), cells.get("field", []),
                                            strict=True) if ff == f.name}
            if f.required:
                miss = [i for i in np.flatnonzero(_blank(col)) if i not in bad_cells]
                c.add(kind, miss, f.name, "required value missing 必填项为空",
                      f"fill in {f.name} ({f.aliases[0] if f.aliases else f.name})")
            if f.unique:
                ok = ~_blank(col)
                dup = col[ok].duplicated(keep="first")
                c.add(kind, np.flatnonzero(ok)[dup.to_numpy()], f.name,
                      "duplicate value 重复", f"give each record its own {f.name}; keep one "
                      "of the rows with this value")
            if f.type == "area":
                num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
                c.add(kind, np.flatnonzero(num < 0), f.name, "negative area 面积为负",
                      "write the area as a positive number")
    _one_per_key(c, data)
    _links(c, data, parcel_ids)
    _parcel_batches(c, data, parcel_batches)
    _dates(c, data)
    _batch_overflow(c, data)
    _expropriation(c, data)
    _quota(c, data)
    return pd.DataFrame(c.rows, columns=list(PROBLEM_COLUMNS))


def _one_per_key(c: _Collector, d: SupplyData) -> None:
    """One plan figure per year and use, one task per year, zone and kind."""
    for kind, keys in (("supply_plan", ["year", "use"]),
                       ("disposal_tasks", ["year", "zone", "task_kind"])):
        f = d.layer(kind)
        if not len(f):
            continue
        key = f[keys].astype(object).where(f[keys].notna(), "")
        dup = np.flatnonzero(key.astype(str).duplicated(keep="first").to_numpy())
        c.add(kind, dup, keys[-1], f"a second record for the same {'/'.join(keys)} 重复",
              "keep one record per " + "/".join(keys) + " (add the areas up)")


def _ids(frame: pd.DataFrame, col: str) -> set[str]:
    return {str(v) for v in frame[col].dropna()} if col in frame.columns else set()


def _links(c: _Collector, d: SupplyData, parcel_ids: Any) -> None:
    batches = _ids(d.batches, "batch_id")
    for kind in ("supply", "reductions"):
        s = d.layer(kind)["batch_id"]
        bad = np.flatnonzero(s.notna().to_numpy() & ~s.astype(str).isin(batches).to_numpy())
        c.add(kind, bad, "batch_id", "unknown batch 批次不存在",
              "give the batch_id of a record in the batches layer, or add the batch")
    nos = d.batches["supervision_no"].dropna().astype(str)
    s = d.supply["supervision_no"]
    clash = np.flatnonzero(s.notna().to_numpy() & s.astype(str).isin(set(nos)).to_numpy())
    c.add("supply", clash, "supervision_no",
          "duplicate 电子监管号: a batch has the same number 与批次电子监管号重复",
          "each contract and each batch has its own 电子监管号; correct one of them")
    rs = d.reserve["supervision_no"]
    known = _ids(d.supply, "supervision_no")
    bad = np.flatnonzero(rs.notna().to_numpy() & ~rs.astype(str).isin(known).to_numpy())
    c.add("reserve", bad, "supervision_no", "unknown supply record 供地记录不存在",
          "give the 电子监管号 of the supply record the reserve land went to")
    if parcel_ids is None:
        return
    pids = {str(p) for p in parcel_ids}
    for kind in ("supply", "mortgages"):
        s = d.layer(kind)["parcel_id"]
        bad = np.flatnonzero(s.notna().to_numpy() & ~s.astype(str).isin(pids).to_numpy())
        c.add(kind, bad, "parcel_id", "unknown parcel 宗地不在宗地数据中",
              "give a parcel_id of the register, or add the parcel to it")


def _parcel_batches(c: _Collector, d: SupplyData, parcel_batches: Any) -> None:
    """A supply record's batch and its parcel's batch (in the register) must agree."""
    if parcel_batches is None:
        return
    known = {str(k): str(v) for k, v in dict(parcel_batches).items()
             if v is not None and not (isinstance(v, float) and np.isnan(v))}
    s = d.supply
    theirs = s["parcel_id"].astype(str).map(known)
    bad = np.flatnonzero((s["batch_id"].notna() & theirs.notna()
                          & (s["batch_id"].astype(str) != theirs)).to_numpy())
    c.add("supply", bad, "batch_id", "not the batch the register gives the parcel "
          "与宗地登记的批次不一致", "correct the batch_id of the supply record or of the parcel")


def _dates(c: _Collector, d: SupplyData) -> None:
    for kind, a, b in _DATE_ORDER:
        f = d.layer(kind)
        x, y = pd.to_datetime(f[a]), pd.to_datetime(f[b])
        bad = np.flatnonzero((y < x).to_numpy())
        c.add(kind, bad, b, f"date before {a} 日期早于{_zh(kind, a)}",
              f"check both dates: {b} cannot be earlier than {a}")
    appr = dict(zip(d.batches["batch_id"].astype(str), pd.to_datetime(d.batches["approval_date"]),
                    strict=True))
    for kind, col in (("supply", "contract_date"), ("reductions", "reduction_date")):
        f = d.layer(kind)
        when = pd.to_datetime(f[col])
        batch_date = pd.to_datetime(f["batch_id"].astype(str).map(appr))
        bad = np.flatnonzero((when < batch_date).to_numpy())
        c.add(kind, bad, col, "date before the batch's approval 日期早于批次批准日期",
              "check the date and the batch_id: land is supplied or reduced after approval")


def _zh(kind: str, name: str) -> str:
    return get_standard().record_labels[kind][name][0]


def _batch_overflow(c: _Collector, d: SupplyData) -> None:
    """A batch's supplied + reduced area beyond its approved area: the record that
    crosses the line (in date order) and every later one of the batch."""
    parts = []
    for kind, col in (("supply", "contract_date"), ("reductions", "reduction_date")):
        f = d.layer(kind)
        parts.append(pd.DataFrame({
            "kind": kind, "pos": np.arange(len(f)), "batch_id": f["batch_id"].astype(object),
            "date": pd.to_datetime(f[col]), "area": pd.to_numeric(f["area_m2"], errors="coerce"),
        }))
    ev = pd.concat(parts, ignore_index=True)
    ev = ev[ev["batch_id"].notna()]
    ev["batch_id"] = ev["batch_id"].astype(str)
    approved = pd.to_numeric(d.batches["approved_area_m2"], errors="coerce")
    cap = pd.Series(approved.to_numpy(), index=d.batches["batch_id"].astype(str))
    cap = cap[~cap.index.duplicated()]
    ev = ev[ev["batch_id"].isin(cap.index)].sort_values(["batch_id", "date", "kind", "pos"])
    ev["used"] = ev.groupby("batch_id")["area"].cumsum()
    if not len(ev):
        return
    limit = pd.to_numeric(ev["batch_id"].map(cap.to_dict()), errors="coerce")
    over = ev[ev["used"] > limit + AREA_TOLERANCE_M2]
    for kind in ("supply", "reductions"):
        o = over[over["kind"] == kind]
        if len(o):
            c.add(kind, o["pos"].to_numpy(), "area_m2",
                  "beyond the batch's remaining area 超出批次剩余可供面积",
                  "check the area and the batch_id: supplied plus reduced area of a batch "
                  "cannot exceed its approved area")


def _expropriation(c: _Collector, d: SupplyData) -> None:
    r = d.reserve
    done = pd.to_numeric(r["expropriation_done"], errors="coerce")
    total = pd.to_numeric(r["expropriation_total"], errors="coerce")
    c.add("reserve", np.flatnonzero((done > total).to_numpy()), "expropriation_done",
          "more done than in total 已征收数大于应征收数", "check both counts")


def _quota(c: _Collector, d: SupplyData) -> None:
    """Warning for each use or deduction that takes a quota kind below zero."""
    q = d.quota_events
    if not len(q):
        return
    sign = q["event_kind"].map({"granted": 1.0, "rewarded": 1.0, "used": -1.0,
                                "deducted": -1.0}).astype(float)
    f = pd.DataFrame({"pos": np.arange(len(q)), "kind": q["quota_kind"].astype(object),
                      "date": pd.to_datetime(q["event_date"]),
                      "delta": sign.to_numpy() * pd.to_numeric(q["area_m2"],
                                                               errors="coerce").to_numpy(),
                      "gain": (sign > 0).to_numpy()})
    f = f.dropna(subset=["kind", "date", "delta"])
    # gains of a day count before that day's uses (a grant and its use may share a date)
    f = f.sort_values(["kind", "date", "gain", "pos"], ascending=[True, True, False, True])
    bal = f.groupby("kind")["delta"].cumsum()
    short = f[(bal < -AREA_TOLERANCE_M2).to_numpy() & (f["delta"] < 0).to_numpy()]
    c.add("quota_events", short["pos"].to_numpy(), "area_m2",
          "quota used beyond its balance 指标使用超出余额",
          "record the quota granted or rewarded before this use, or check the area; the "
          "summary shows the shortfall", severity="warning")


def _line(r: dict[Any, Any]) -> str:
    rec = f" ({r['record']})" if r["record"] else ""
    val = f" = {r['value']!r}" if r["value"] is not None else ""
    return (f"  {r['source']}, row {r['row']}{rec}, field {r['field']}{val}: "
            f"{r['problem']}. Fix: {r['fix']}.")


def raise_errors(probs: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` listing the errors of a problem frame (if any)."""
    errors = probs[probs["severity"] == "error"]
    if len(errors):
        lines = [_line(r) for r in errors.to_dict("records")]
        err = SchemaError(f"supply records: {len(errors)} problem(s); nothing was stored.\n"
                          + "\n".join(lines[:200])
                          + ("\n  …" if len(lines) > 200 else ""))
        err.problems = [{str(k): v for k, v in rec.items()} for rec in
                        errors.to_dict("records")]
        raise err


def check_supply(data: SupplyData, parcel_ids: Any = None,
                 parcel_batches: Any = None) -> pd.DataFrame:
    """Raise :class:`SchemaError` listing every error of ``data``; return the warnings.

    The error's message names, per problem, the source, row, record, field, value and
    fix, and its ``problems`` holds the same as dicts. Nothing is changed.
    """
    probs = supply_problems(data, parcel_ids, parcel_batches)
    raise_errors(probs)
    return probs[probs["severity"] == "warning"].reset_index(drop=True)
