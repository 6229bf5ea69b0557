"""Where the records and the ground disagree: the ``records_disagree`` flags of §4.

Pure: takes the parcels (recorded progress fields of the standard) and the evidence columns,
returns per parcel the flags, warnings and one reason sentence per finding (中文 / English)
naming the values and the threshold. Thresholds are data (``landuse/data/evidence.toml``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.errors import DataSourceError, RulesetError

__all__ = [
    "FLAGS",
    "EvidenceThresholds",
    "flag_discrepancies",
    "load_thresholds",
    "recorded_state",
]

FLAGS = ("built_but_recorded_unstarted", "bare_but_recorded_completed", "footprint_mismatch")


@dataclass(frozen=True)
class EvidenceThresholds:
    """Thresholds of the discrepancy flags (see ``landuse/data/evidence.toml``)."""

    unstarted_max_builtup: float = 0.25
    completed_min_bare: float = 0.5
    completed_max_builtup: float = 0.15
    footprint_rel_tol: float = 0.3
    footprint_min_m2: float = 200.0
    change_min: float = 0.10
    min_raster_coverage: float = 0.95
    outside_supply_max_share: float = 0.05


def load_thresholds(
    spec: str | Path | dict[str, Any] | EvidenceThresholds | None = None,
) -> EvidenceThresholds:
    """The packaged thresholds, updated by a TOML file or a mapping (unknown keys refused).

    Examples
    --------
    >>> load_thresholds({"change_min": 0.2}).change_min
    0.2
    """
    if isinstance(spec, EvidenceThresholds):
        return spec
    base_txt = resources.files("landuse.data").joinpath("evidence.toml").read_text("utf-8")
    out = _apply(EvidenceThresholds(), tomllib.loads(base_txt), "landuse/data/evidence.toml")
    if spec is None:
        return out
    if isinstance(spec, dict):
        return _apply(out, spec, "thresholds")
    p = Path(spec)
    if not p.exists():
        raise DataSourceError(f"{p}: thresholds file not found. Fix: check the path.")
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RulesetError(f"{p}: not valid TOML ({e}).") from e
    return _apply(out, data, str(p))


def _apply(base: EvidenceThresholds, data: dict[str, Any], source: str) -> EvidenceThresholds:
    known = {f.name for f in fields(EvidenceThresholds)}
    for k, v in data.items():
        if k not in known:
            raise RulesetError(
                f"{source}: unknown threshold '{k}'. Fix: use one of {', '.join(sorted(known))}."
            )
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise RulesetError(f"{source}: threshold '{k}' = {v!r} is not a number.")
    return replace(base, **{k: float(v) for k, v in data.items()})


def _date(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return pd.to_datetime(df[col], errors="coerce")


def recorded_state(parcels: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """What the records say about construction, per parcel.

    ``recorded_unstarted``: no start date, no start evidence (or ``none``), no completion or
    production date. ``recorded_completed``: a completion or production date (on or before
    ``as_of`` when given). ``recorded_built_date``: the start date, else the completion date.
    ``progress_known``: False when the layer has none of the progress fields (then no
    record-based flag is raised for it).
    """
    start = _date(parcels, "start_date")
    comp = _date(parcels, "completion_date")
    prod = _date(parcels, "production_date")
    if "start_evidence" in parcels.columns:
        ev = parcels["start_evidence"].astype("string").str.strip().str.lower()
        has_ev = ev.notna() & ~ev.isin(["none", "", "nan"])
    else:
        has_ev = pd.Series(False, index=parcels.index)
    done = comp.combine_first(prod)
    if as_of is not None:
        done = done.where(done <= as_of)
    cols = {"start_date", "start_evidence", "completion_date", "production_date"}
    known = bool(cols & set(parcels.columns))
    out = pd.DataFrame(index=parcels.index)
    out["recorded_unstarted"] = known & start.isna() & ~has_ev & comp.isna() & prod.isna()
    out["recorded_completed"] = known & done.notna()
    out["recorded_built_date"] = start.combine_first(comp)
    out["progress_known"] = known
    return out


def _pct(x: float) -> str:
    return f"{x:.0%}"


def flag_discrepancies(
    parcels: pd.DataFrame,
    ev: pd.DataFrame,
    thresholds: EvidenceThresholds | None = None,
    evidence_date: pd.Timestamp | None = None,
    before_date: pd.Timestamp | None = None,
    after_date: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Flags, warnings and reasons per parcel from records vs evidence.

    Parameters
    ----------
    parcels : DataFrame
        The standard's progress fields (``start_date``, ``start_evidence``,
        ``completion_date``, ``production_date``, ``footprint_m2``).
    ev : DataFrame
        Evidence columns on the same index (any of ``builtup_share``, ``bare_share``,
        ``builtup_change``, ``observed_footprint_m2``, ``observed_coverage``).

    Returns
    -------
    DataFrame
        ``records_disagree`` (``;``-joined flags, "" when they agree), ``flag_list``,
        ``warning_list`` and ``reason_list`` (lists per parcel).
    """
    t = thresholds or load_thresholds()
    st = recorded_state(parcels, evidence_date or after_date)
    n = len(parcels)

    def col(name: str) -> np.ndarray:
        if name in ev.columns:
            return pd.to_numeric(ev[name], errors="coerce").to_numpy(dtype=float)
        return np.full(n, np.nan)

    built, bare, change = col("builtup_share"), col("bare_share"), col("builtup_change")
    obs_fp, obs_cov = col("observed_footprint_m2"), col("observed_coverage")
    rec_fp = (
        pd.to_numeric(parcels["footprint_m2"], errors="coerce").to_numpy(dtype=float)
        if "footprint_m2" in parcels.columns
        else np.full(n, np.nan)
    )
    unstarted = st["recorded_unstarted"].to_numpy(dtype=bool)
    completed = st["recorded_completed"].to_numpy(dtype=bool)
    bdates: list[pd.Timestamp | None] = [
        pd.Timestamp(x) if pd.notna(x) else None for x in st["recorded_built_date"]
    ]
    when = f"（{evidence_date:%Y-%m-%d}）" if evidence_date is not None else ""
    when_en = f" on {evidence_date:%Y-%m-%d}" if evidence_date is not None else ""
    flags: list[list[str]] = [[] for _ in range(n)]
    warns: list[list[str]] = [[] for _ in range(n)]
    reasons: list[list[str]] = [[] for _ in range(n)]
    for i in range(n):
        if unstarted[i]:
            why: list[str] = []
            if built[i] >= t.unstarted_max_builtup:
                why.append(
                    f"影像{when}建设用地占 {_pct(built[i])}"
                    f"（阈值 {_pct(t.unstarted_max_builtup)}） "
                    f"/ built-up share {_pct(built[i])}{when_en} "
                    f"(threshold {_pct(t.unstarted_max_builtup)})"
                )
            if change[i] >= t.change_min:
                why.append(
                    f"两期间建设用地增加 {_pct(change[i])}（阈值 {_pct(t.change_min)}） / built-up "
                    f"share rose by {_pct(change[i])} between the two dates "
                    f"(threshold {_pct(t.change_min)})"
                )
            if obs_cov[i] >= t.unstarted_max_builtup:
                why.append(
                    f"建筑基底覆盖 {_pct(obs_cov[i])} / building footprints cover "
                    f"{_pct(obs_cov[i])} of the parcel"
                )
            if why:
                flags[i].append("built_but_recorded_unstarted")
                reasons[i].append(
                    "台账记录未动工，但"
                    + "；".join(w.split(" / ")[0] for w in why)
                    + "：可能已动工或台账有误 / recorded as not started, but "
                    + "; ".join(w.split(" / ")[1] for w in why)
                    + ": evidence of 动工 (construction started) or a records error."
                )
        if completed[i] and bare[i] >= t.completed_min_bare and built[i] <= t.completed_max_builtup:
            flags[i].append("bare_but_recorded_completed")
            reasons[i].append(
                f"台账记录已竣工/投产，但影像{when}裸地占 {_pct(bare[i])}、建设用地仅 "
                f"{_pct(built[i])}（阈值 裸地≥{_pct(t.completed_min_bare)}、建设用地≤"
                f"{_pct(t.completed_max_builtup)}） / recorded as completed or producing, but "
                f"{_pct(bare[i])} of the parcel is bare and only {_pct(built[i])} built-up"
                f"{when_en} (thresholds bare ≥ {_pct(t.completed_min_bare)}, built-up ≤ "
                f"{_pct(t.completed_max_builtup)})."
            )
        if np.isfinite(rec_fp[i]) and np.isfinite(obs_fp[i]):
            diff = obs_fp[i] - rec_fp[i]
            tol = max(t.footprint_rel_tol * rec_fp[i], t.footprint_min_m2)
            if abs(diff) > tol:
                flags[i].append("footprint_mismatch")
                reasons[i].append(
                    f"建筑基底面积台账 {rec_fp[i]:,.0f} m²，实测 {obs_fp[i]:,.0f} m²，相差 "
                    f"{diff:+,.0f} m²（容差 {tol:,.0f} m²） / recorded footprint "
                    f"{rec_fp[i]:,.0f} m², observed {obs_fp[i]:,.0f} m², off by {diff:+,.0f} m² "
                    f"(tolerance {tol:,.0f} m² = max({_pct(t.footprint_rel_tol)}, "
                    f"{t.footprint_min_m2:,.0f} m²))."
                )
        if (
            np.isfinite(change[i])
            and before_date is not None
            and after_date is not None
            and (bd := bdates[i]) is not None
            and before_date < bd <= after_date
            and abs(change[i]) < t.change_min
        ):
            warns[i].append("no_change_but_recorded_built")
            reasons[i].append(
                f"台账记录 {bd:%Y-%m-%d} 动工/竣工，但 {before_date:%Y-%m-%d} 至 "
                f"{after_date:%Y-%m-%d} 建设用地变化仅 {change[i]:+.0%} / records say "
                f"construction on {bd:%Y-%m-%d}, but the built-up share changed by "
                f"only {change[i]:+.0%} between {before_date:%Y-%m-%d} and "
                f"{after_date:%Y-%m-%d} (threshold {_pct(t.change_min)}): check the records."
            )
    out = pd.DataFrame(index=parcels.index)
    out["records_disagree"] = [";".join(f) for f in flags]
    out["flag_list"] = flags
    out["warning_list"] = warns
    out["reason_list"] = reasons
    return out
