"""The assessment: idle land, 五未 stage, low efficiency and 亩均 class, as of a date.

:func:`assess` adds the fields of §3 of the parcel standard to every parcel. It is pure
(GeoDataFrame in, new GeoDataFrame out) and vectorised, and only orchestrates: it checks
and prepares the inputs (:class:`~landuse.rules.columns.Columns`), runs the rule families
(:func:`landuse.rules.findings.evaluate`: :mod:`~landuse.rules.lifecycle`,
:mod:`~landuse.rules.idle`, :mod:`~landuse.rules.efficiency`, :mod:`~landuse.rules.mujun`,
:mod:`~landuse.rules.flags`), writes the sentences (:mod:`landuse.rules.reasons`) and
assembles the columns.

The rules (issue 3, domain.md §1, §3, §4, §5), with the thresholds of the ruleset:

* clock base of a supplied parcel: ``extension_until`` (unless before the agreed start date
  or more than one year after it, Art. 12(1)), else ``agreed_start_date``, else
  ``delivery_date`` + 1 year;
* only progress of the current supply counts: start, suspension, completion and production
  dates before ``supply_date`` are the former holder's and are not used;
* delivered after the contract delivery date or after the agreed start date with no cause
  recorded: a government cause (Art. 8(1)), no fee and no recovery;
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

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.core.area import add_areas
from landuse.errors import CRSError, SchemaError
from landuse.rules._text import join_codes
from landuse.rules.columns import Columns, missing_field_warnings
from landuse.rules.findings import Findings, evaluate
from landuse.rules.idle import IDLE_TYPES
from landuse.rules.mujun import CLASSES
from landuse.rules.reasons import sentences
from landuse.rules.ruleset import Ruleset, default_ruleset, load_ruleset
from landuse.standard import ASSESSMENT_COLUMNS

# ASSESSMENT_COLUMNS: the §3 fields, from the standard (landuse/data/standard.toml)
__all__ = ["ASSESSMENT_COLUMNS", "assess", "assess_fields", "assess_languages"]



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
        Building footprints in the parcels' CRS, for the ``outside_supply`` flag
        (:func:`landuse.core.buildings.outside_supply`, the definition the evidence run
        uses too).

    Returns
    -------
    geopandas.GeoDataFrame
        The input's columns unchanged, plus :data:`ASSESSMENT_COLUMNS`. ``attrs["assessment"]``
        records the as-of date, the ruleset (name, version, parts, files), the language,
        the standard fields absent from the input and ``warnings``: the fields a rule
        needs that the reader did not recognise (a cut header of unknown unit, or missing
        fields beside unrecognised columns; :func:`~landuse.rules.columns.missing_field_warnings`).

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
    '约定动工日期2022年8月15日起满一年未动工(已逾期442天),依《闲置土地处置办法》第二条属闲置土地;依第十四条按土地价款500万元的20%征缴闲置费100万元'
    """
    return assess_languages(parcels, as_of, ruleset, (lang,), buildings)[lang]


def _check(parcels: gpd.GeoDataFrame, lang: str) -> None:
    """Refuse what cannot be assessed: no ids, duplicate ids, no CRS, an unknown language."""
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


def _ruleset(ruleset: Ruleset | str | None) -> Ruleset:
    if isinstance(ruleset, Ruleset):
        return ruleset
    if ruleset is None:
        return default_ruleset()
    return load_ruleset(ruleset)


def _assemble(
    base_df: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    f: Findings,
    reasons: Any,
    rs: Ruleset,
    lang: str,
    today: np.datetime64,
    absent: list[str],
) -> gpd.GeoDataFrame:
    """The input's columns, then the §3 columns from the findings and the sentences."""
    idx = areas.index
    n = f.n

    def arrow_col(arr: Any) -> pd.Series:
        col = arr.to_pandas()
        col.index = idx
        return col

    overdue = f.idle.not_started.overdue_days
    new_cols = {
        "area_m2": areas["area_m2"],
        "area_mu": areas["area_mu"],
        "area_ha": areas["area_ha"],
        "lifecycle": pd.Series(f.lifecycle.names, index=idx),
        "idle_type": pd.Series(np.asarray(IDLE_TYPES, dtype=object)[f.idle.type_code], index=idx),
        "overdue_days": pd.Series(
            pd.arrays.IntegerArray(
                np.where(np.isfinite(overdue), overdue, 0).astype("int64"),
                ~np.isfinite(overdue),
            ),
            index=idx,
        ),
        "idle_fee_wan": pd.Series(f.idle.consequences.fee_wan, index=idx),
        "recovery_candidate": pd.Series(f.idle.consequences.recovery, index=idx),
        "low_efficiency": pd.Series(f.efficiency.low, index=idx),
        "failed_indicators": arrow_col(join_codes(n, f.efficiency.failed())),
        "mujun_score": pd.Series(f.mujun.score, index=idx),
        "mujun_class": pd.Series(
            np.asarray(CLASSES, dtype=object)[f.mujun.class_code], index=idx
        ),
        "flags": arrow_col(join_codes(n, f.flags.masks)),
        **({} if reasons is None else {"reasons": arrow_col(reasons)}),
        "ruleset": pd.Series(rs.label, index=idx),
        **_mujun_columns(f, idx),
    }
    attrs = dict(base_df.attrs)
    geom_name = base_df.geometry.name
    out = gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(base_df), pd.DataFrame(new_cols)], axis=1),
        geometry=geom_name,
        crs=base_df.crs,
    )
    out.attrs.update(attrs)
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
        "warnings": missing_field_warnings(absent, dict(attrs.get("landuse", {}))),
        **f.flags.outside_meta,
    }
    return out


def _mujun_columns(f: Findings, idx: pd.Index) -> dict[str, pd.Series]:
    """Whom the parcel's 亩均 was rated for, by which scheme (规上/规下) and its rank there."""
    mj = f.mujun
    scheme = np.where(mj.below_scale, "below", "above").astype(object)
    scheme[~mj.rated] = None
    rank = np.where(mj.rated & np.isfinite(mj.rank), mj.rank, 0).astype("int64")
    return {
        "enterprise": pd.Series(mj.enterprise_id, index=idx, dtype="str"),
        "mujun_scheme": pd.Series(scheme, index=idx, dtype="str"),
        "mujun_rank": pd.Series(pd.arrays.IntegerArray(rank, ~mj.rated), index=idx),
    }
def assess_languages(
    parcels: gpd.GeoDataFrame,
    as_of: str | pd.Timestamp | Any,
    ruleset: Ruleset | str | None = None,
    langs: tuple[str, ...] = ("zh", "en"),
    buildings: gpd.GeoDataFrame | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """:func:`assess` in several languages at once: the rules run once, the sentences are
    written in each language. Returns ``{lang: assess(parcels, as_of, ruleset, lang)}``."""
    base_df, areas, found, cols, rs, today = _evaluated(parcels, as_of, ruleset, langs,
                                                         buildings)
    return {lang: _assemble(base_df, areas, found, sentences(found, rs, lang).join(), rs, lang,
                            today, sorted(cols.absent)) for lang in langs}


def assess_fields(
    parcels: gpd.GeoDataFrame,
    as_of: str | pd.Timestamp | Any,
    ruleset: Ruleset | str | None = None,
    keep: list[str] | None = None,
    area_m2: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """:func:`assess` without the sentences, for a caller that compares assessments and
    reads no ``reasons`` (:mod:`landuse.rules.changes`): the same rules on the same
    parcels, every §3 field but ``reasons`` as :func:`assess` gives it, beside the input's
    columns ``keep`` (default all) and the geometry. ``area_m2``: the parcels' areas
    already measured (:func:`landuse.core.area.shared_areas_m2`), else measured here."""
    base_df, areas, found, cols, rs, today = _evaluated(parcels, as_of, ruleset, ("zh",),
                                                         None, area_m2)
    if keep is not None:
        geom_name = base_df.geometry.name
        base_df = base_df[[c for c in dict.fromkeys([*keep, geom_name])
                           if c in base_df.columns]]
    return _assemble(base_df, areas, found, None, rs, "zh", today, sorted(cols.absent))


def _evaluated(
    parcels: gpd.GeoDataFrame,
    as_of: str | pd.Timestamp | Any,
    ruleset: Ruleset | str | None,
    langs: tuple[str, ...],
    buildings: gpd.GeoDataFrame | None,
    area_m2: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Findings, Columns, Ruleset, np.datetime64]:
    """Check the parcels, measure them (unless ``area_m2`` gives their areas) and run the
    rule families (no sentence yet)."""
    for lang in langs:
        _check(parcels, lang)
    rs = _ruleset(ruleset)
    ts = pd.Timestamp(as_of)
    if pd.isna(ts):
        raise ValueError(f"as_of must be a date, not {as_of!r}")
    today = np.datetime64(ts.date(), "D")
    base_df = parcels.drop(columns=[c for c in ASSESSMENT_COLUMNS if c in parcels.columns])
    geom_name = base_df.geometry.name
    areas = add_areas(gpd.GeoDataFrame(base_df[[geom_name]], geometry=geom_name, crs=base_df.crs),
                      area_m2)
    cols = Columns(base_df)
    found = evaluate(
        cols, areas["area_m2"].to_numpy(dtype="float64"), today, rs, areas, buildings
    )
    return base_df, areas, found, cols, rs, today
