"""The disposal ledger's rules: validation, corrections and case state (pure, no I/O).

The ledger (parcel standard §2) has one row per event on a parcel's road back to use.
Rows are never edited or deleted: a correction is a new row whose ``corrects`` names the
row it corrects, and the effective event is the latest correction of a chain.

The pure core (:func:`normalise_ledger`, :func:`validate_ledger`, :func:`check_ledger`,
:func:`validate_events`, :func:`apply_corrections`, :func:`case_state`) takes DataFrames
and returns DataFrames. :func:`validate_events` is THE check of new events: every writer
calls it, whether :func:`landuse.io.ledger.append_events` (a plain GeoPackage's ``ledger``
table, one SQLite transaction) or ``Store.append_events`` (the GeoPackage and PostGIS stores
behind the CLI and the API), so a bad event gets the same message wherever it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.core.values import (
    is_missing,
    parse_bools,
    parse_dates,
    parse_numbers,
)
from landuse.errors import ConflictError, SchemaError
from landuse.labels import label
from landuse.standard import get_standard
from landuse.units import M2_PER_MU

__all__ = [
    "AREA_STAGES",
    "CLOSING_METHODS",
    "FEE_STAGES",
    "IMPLIED_STAGE",
    "LEDGER_FIELDS",
    "PROBLEM_COLUMNS",
    "PROCEDURE_COLUMNS",
    "PROCEDURE_STAGES",
    "STORED_ID_PROBLEM",
    "apply_corrections",
    "case_state",
    "check_ledger",
    "closes",
    "format_problems",
    "normalise_ledger",
    "procedure_state",
    "rows",
    "validate_events",
    "validate_ledger",
]

LEDGER_FIELDS: tuple[str, ...] = (
    "event_id",
    "parcel_id",
    "event_date",
    "stage",
    "method",
    "area_m2",
    "new_holder",
    "expected_output_wan",
    "zombie_cleared",
    "corrects",
    "note",
    "holder",
    "fee_wan",
)
"""The standard's ledger fields, in order."""

AREA_STAGES: frozenset[str] = frozenset({"disposed", "auction_started", "auction_completed"})
"""Stages whose event must say how much land it concerns (``area_m2`` > 0)."""

FEE_STAGES: frozenset[str] = frozenset({"fee_levied", "fee_paid"})
"""Stages whose event must give the fee (``fee_wan`` > 0): levied (应缴) or paid (已缴)."""

PROCEDURE_STAGES: tuple[str, ...] = ("investigation_notice", "idle_determined",
                                     "disposal_decided")
"""The documents of the idle-land procedure (《闲置土地处置办法》 Art. 5-14, domain.md
§1.6): 调查通知书, 认定书, 处置决定书, in procedure order."""

IMPLIED_STAGE: dict[str, str | None] = {
    "investigation_notice": "investigating",
    "idle_determined": "recovery_in_progress",
    "disposal_decided": "recovery_in_progress",
    "fee_levied": "recovery_in_progress",
    "fee_paid": None,
}
"""The case stage a procedure or fee event puts the case in (the work report's 清收
stages, domain.md §1.6: 调查 → 正在调查清收; 认定 done, decision issued → 已进入清收程序).
``None``: the event leaves the case's stage as it was (paying the fee ends no case)."""

CLOSING_METHODS: frozenset[str] = frozenset({
    "lease_then_transfer", "agreement_transfer", "merger", "judicial_auction",
    "negotiated_buyback", "free_recovery", "swap", "change_use",
})
"""Methods of a ``disposed`` event after which the land is no longer the idle land of its
former holder: recovered (收回), re-supplied (转让, 兼并, 拍卖, 置换) or re-planned (调整
用途, a new start date). Not closing: ``extend_start`` and ``temporary_use`` (the holder
keeps the land and its obligation to start), ``idle_fee`` (the fee does not end idleness)."""

PROBLEM_COLUMNS: tuple[str, ...] = (
    "row",
    "event_id",
    "field",
    "value",
    "problem",
    "fix",
    "severity",
    "problem_zh",
    "fix_zh",
)
"""Columns of the problems table returned by :func:`validate_ledger`."""

STORED_ID_PROBLEM = "event id already in the ledger"
"""The problem text of an event id that is already stored (a conflict, not a bad value)."""


AREA_TOLERANCE = 1.005
"""An event may claim up to 0.5 % more than the parcel's measured area (digitising error)."""

def rows(df: pd.DataFrame) -> Iterator[Any]:
    """Iterate a frame's rows as named tuples (typed loosely: fields are any value)."""
    return iter(df.itertuples(index=False))


def _text(v: Any) -> str | None:
    if is_missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _problem(
    row: int, event_id: Any, field: str, value: Any, what: str, severity: str = "error",
    **params: Any,
) -> dict[str, Any]:
    """One problem: ``what`` names its words (groups ``ledger_problem`` and ``ledger_fix``
    of words.toml, filled with ``params``), in English (``problem``, ``fix``) and Chinese
    (``problem_zh``, ``fix_zh``)."""
    says = {lang: (label("ledger_problem", what, lang).format(**params),
                   label("ledger_fix", what, lang).format(**params)) for lang in ("en", "zh")}
    return {
        "row": row,
        "event_id": _text(event_id),
        "field": field,
        "value": None if is_missing(value) else str(value),
        "problem": says["en"][0],
        "fix": says["en"][1],
        "severity": severity,
        "problem_zh": says["zh"][0],
        "fix_zh": says["zh"][1],
    }


def _stage_zh(stage: Any) -> str:
    """The Chinese word of a ledger stage code (the code itself when not in the list)."""
    from landuse.labels import has_label

    return label("stage", str(stage), "zh") if has_label("stage", str(stage)) else str(stage)


def normalise_ledger(ledger: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bring ledger values to the standard's types; report values that cannot be read.

    Codes given as Chinese words (``先租后让``) become codes; dates in any accepted form
    become ``datetime64``; areas become float m² (a source area column in 亩 is converted,
    as :func:`landuse.io.read_ledger` records its unit in ``attrs``); ``zombie_cleared``
    becomes a nullable boolean. Returns the typed copy (with a ``row`` column: 1-based
    position in the input) and a problems table (:data:`PROBLEM_COLUMNS`).

    Examples
    --------
    >>> df = pd.DataFrame({"event_id": ["E1"], "parcel_id": ["P1"], "event_date": ["2023/3/1"],
    ...                    "stage": ["已盘活"], "method": ["先租后让"], "area_m2": [6666.7]})
    >>> out, problems = normalise_ledger(df)
    >>> out.loc[0, "stage"], out.loc[0, "method"], len(problems)
    ('disposed', 'lease_then_transfer', 0)
    """
    std = get_standard()
    src = ledger.reset_index(drop=True)
    src = pd.DataFrame({c: src[c].to_numpy(dtype=object) for c in src.columns})
    n = len(src)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["row"] = np.arange(1, n + 1)
    problems: list[dict[str, Any]] = []
    ids = src["event_id"] if "event_id" in src else pd.Series([None] * n)

    for f in ("event_id", "parcel_id", "new_holder", "corrects", "note", "holder"):
        col = src[f] if f in src else pd.Series([None] * n)
        out[f] = pd.Series([_text(v) for v in col], dtype=object)

    col = src["event_date"] if "event_date" in src else pd.Series([None] * n)
    dates, bad = parse_dates(pd.Series(col.to_numpy(dtype=object), dtype=object))
    for i in bad:
        problems.append(
            _problem(
                int(i) + 1, ids.iloc[i], "event_date", col.iloc[i], "not_date",
            )
        )
    out["event_date"] = pd.to_datetime(dates.to_numpy())

    for f in ("stage", "method"):
        col = src[f] if f in src else pd.Series([None] * n)
        codes: list[str | None] = []
        allowed = ", ".join(
            f"{c} ({w[0]})" if w else c for c, w in std.codes[f].items()
        )
        for i, v in enumerate(col):
            if is_missing(v):
                codes.append(None)
                continue
            code = std.code_for(f, v)
            if code is None:
                problems.append(
                    _problem(
                        i + 1, ids.iloc[i], f, v, "unknown_code", name=f, allowed=allowed,
                    )
                )
            codes.append(code)
        out[f] = pd.Series(codes, dtype=object)

    unit = (ledger.attrs.get("landuse", {}).get("units") or {}).get("area_m2")
    factor = {"亩": M2_PER_MU, "公顷": 10000.0, "ha": 10000.0}.get(unit or "", 1.0)
    meta = ledger.attrs.get("landuse", {})
    if meta.get("converted") or "cells" in meta:
        # the reader already normalised values (the register reader's attrs carry "cells")
        factor = 1.0
    for f, fac in (("area_m2", factor), ("expected_output_wan", 1.0), ("fee_wan", 1.0)):
        col = src[f] if f in src else pd.Series([None] * n)
        nums, bad = parse_numbers(pd.Series(col.to_numpy(dtype=object), dtype=object))
        vals = nums.to_numpy(dtype=float) * fac
        vals[~np.isfinite(vals)] = np.nan
        for i in bad:
            problems.append(
                _problem(int(i) + 1, ids.iloc[i], f, col.iloc[i], "not_number")
            )
        out[f] = np.asarray(vals, dtype=float)

    col = src["zombie_cleared"] if "zombie_cleared" in src else pd.Series([None] * n)
    flags, bad = parse_bools(pd.Series(col.to_numpy(dtype=object), dtype=object))
    for i in bad:
        problems.append(
            _problem(
                int(i) + 1, ids.iloc[i], "zombie_cleared", col.iloc[i], "not_yes_no",
            )
        )
    out["zombie_cleared"] = pd.array(flags.to_numpy(), dtype="boolean")
    extra = [c for c in src.columns if c not in out.columns and c != "geometry"]
    for c in extra:
        out[c] = src[c].to_numpy()
    return out, pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))


def _parcel_areas(parcels: pd.DataFrame) -> pd.Series:
    """Measured parcel area in m² by parcel_id (the assessed ``area_m2`` or ellipsoidal)."""
    if "area_m2" in parcels and parcels["area_m2"].notna().all():
        area = parcels["area_m2"].astype(float)
    elif isinstance(parcels, gpd.GeoDataFrame) and parcels.crs is not None:
        from landuse.core.area import ellipsoidal_area_m2

        area = pd.Series(ellipsoidal_area_m2(parcels.geometry), index=parcels.index)
    elif "registered_area_m2" in parcels:
        area = parcels["registered_area_m2"].astype(float)
    else:
        area = pd.Series(np.nan, index=parcels.index)
    return pd.Series(area.to_numpy(), index=parcels["parcel_id"].astype(str).to_numpy())


def _area_problems(r: Any, row: int, eid: Any, known: bool,
                   area_of: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An event's area: not negative, given where the stage needs one, not larger than
    the parcel (within :data:`AREA_TOLERANCE`)."""
    area, parcel = r.area_m2, r.parcel_id
    if not np.isnan(area) and area < 0:
        return [_problem(row, eid, "area_m2", area, "negative_area")]
    if r.stage in AREA_STAGES and (np.isnan(area) or area == 0):
        return [_problem(row, eid, "area_m2", None if np.isnan(area) else area,
                         "stage_needs_area", stage=r.stage, stage_zh=_stage_zh(r.stage))]
    if not np.isnan(area) and known:
        parcel_area = float(area_of.get(parcel, np.nan))
        if not np.isnan(parcel_area) and area > parcel_area * AREA_TOLERANCE:
            return [_problem(row, eid, "area_m2", round(area, 1),
                             "area_too_large", area=f"{area / M2_PER_MU:.1f}", parcel=parcel,
                             parcel_area=f"{parcel_area / M2_PER_MU:.1f}")]
    return []


def _fee_problems(r: Any, row: int, eid: Any) -> list[dict[str, Any]]:
    """An event's fee: not negative; given (> 0) where the stage is a fee levied or paid."""
    fee = r.fee_wan
    if not np.isnan(fee) and fee < 0:
        return [_problem(row, eid, "fee_wan", fee, "negative_fee")]
    if r.stage in FEE_STAGES and (np.isnan(fee) or fee == 0):
        return [_problem(row, eid, "fee_wan", None if np.isnan(fee) else fee,
                         "stage_needs_fee", stage=r.stage, stage_zh=_stage_zh(r.stage))]
    return []


def _supply_problems(r: Any, row: int, eid: Any, sd: Any,
                     resupply: list[pd.Timestamp]) -> list[dict[str, Any]]:
    """An event not dated before its parcel's supply ``sd``, unless a disposal dated
    between the two (``resupply``) explains a re-supply."""
    if pd.isna(r.event_date) or pd.isna(sd):
        return []
    resupplied = any(r.event_date <= d <= sd for d in resupply)
    if r.event_date < sd and not resupplied:
        return [_problem(row, eid, "event_date", r.event_date.date(),
                         "before_supply", date=pd.Timestamp(sd).date())]
    return []


def validate_ledger(
    ledger: pd.DataFrame,
    parcels: pd.DataFrame,
    existing_ids: Iterable[str] = (),
    not_after: Any = None,
) -> pd.DataFrame:
    """Check ledger events against the parcels; return a problems table (empty when clean).

    Checks: required fields present; event ids unique (within the rows and against
    ``existing_ids`` already in the store); parcel known; stage and method codes known; an
    area where the stage needs one (:data:`AREA_STAGES`), never negative, never larger than
    the parcel; the event not dated before the parcel's supply (unless a disposal of the
    parcel, dated between the event and the supply date, explains a re-supply: the register
    then shows the new holder's supply date); a correction naming an
    event that exists (in the rows or the store) and not itself; a ``disposed`` event
    without a method is a warning (the report shows it as "method not recorded").

    Parameters
    ----------
    ledger : DataFrame
        Ledger rows in the standard's names (raw or already normalised).
    parcels : DataFrame or GeoDataFrame
        The parcels, with ``parcel_id`` and ideally ``area_m2`` and ``supply_date``.
    existing_ids : iterable of str
        Event ids already stored (for appends).
    not_after : date-like, optional
        Latest acceptable event date (e.g. today when recording): later events are errors.

    Returns
    -------
    DataFrame
        One row per problem: row (1-based), event_id, field, value, problem, fix, severity.
    """
    led, problems_df = normalise_ledger(ledger)
    problems: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in problems_df.to_dict("records")
    ]
    missing_cols = [f for f in ("event_id", "parcel_id", "event_date", "stage") if f not in ledger]
    for f in missing_cols:
        problems.append(
            _problem(0, None, f, None, "column_missing", name=f,
                     aliases="/".join(get_standard().field("ledger", f).aliases))
        )
    pid = parcels["parcel_id"].astype(str)
    areas = _parcel_areas(parcels)
    supply = (
        pd.Series(pd.to_datetime(parcels["supply_date"], errors="coerce").to_numpy(),
                  index=pid.to_numpy())
        if "supply_date" in parcels
        else pd.Series(dtype="datetime64[ns]")
    )
    known = set(pid)
    referenced = set(led["parcel_id"].dropna())
    area_of = {str(k): v for k, v in areas[areas.index.isin(referenced)].items()}
    supply_of = {str(k): v for k, v in supply[supply.index.isin(referenced)].items()}
    existing = {str(e) for e in existing_ids}
    all_ids = existing | {e for e in led["event_id"] if e}
    counts = led["event_id"].value_counts()
    # a disposal re-supplies the land: the register then shows the new supply date, and
    # the parcel's earlier events legitimately precede it
    disp = led[led["stage"].isin(["disposed", "auction_completed"]) & led["event_date"].notna()]
    resupply: dict[str, list[pd.Timestamp]] = {
        str(k): list(v) for k, v in disp.groupby("parcel_id")["event_date"]
    }
    bad_rows = {p["row"] for p in problems}

    for r in rows(led):
        row, eid = int(r.row), r.event_id
        for f in ("event_id", "parcel_id", "event_date", "stage"):
            if f in missing_cols:
                continue
            v = getattr(r, f)
            if is_missing(v) and not (f in ("event_date", "stage") and row in bad_rows):
                problems.append(
                    _problem(row, eid, f, None, "required_empty", name=f)
                )
        if eid and counts.get(eid, 0) > 1:
            problems.append(
                _problem(row, eid, "event_id", eid, "duplicated_id")
            )
        if eid and eid in existing:
            problems.append(
                _problem(row, eid, "event_id", eid, "stored_id")
            )
        parcel = r.parcel_id
        if parcel and parcel not in known:
            problems.append(
                _problem(row, eid, "parcel_id", parcel, "unknown_parcel")
            )
        problems += _area_problems(r, row, eid, parcel in known, area_of)
        problems += _fee_problems(r, row, eid)
        if parcel in known and parcel in supply_of:
            problems += _supply_problems(r, row, eid, supply_of[parcel],
                                         resupply.get(parcel, []))
        if not_after is not None and not pd.isna(r.event_date) \
                and r.event_date > pd.Timestamp(not_after):
            problems.append(
                _problem(row, eid, "event_date", r.event_date.date(),
                         "after_date", date=pd.Timestamp(not_after).date())
            )
        if r.corrects:
            if r.corrects == eid:
                problems.append(
                    _problem(row, eid, "corrects", r.corrects, "corrects_self")
                )
            elif r.corrects not in all_ids:
                problems.append(
                    _problem(row, eid, "corrects", r.corrects, "corrects_missing")
                )
        if r.stage == "disposed" and r.method is None and row not in bad_rows:
            problems.append(
                _problem(row, eid, "method", None, "disposed_no_method", "warning")
            )
    out = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    return out.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


def format_problems(problems: pd.DataFrame, source: str = "ledger", limit: int = 20) -> str:
    """One line per problem, naming source, row, event, field, value and fix."""
    lines = []
    for p in rows(problems.head(limit)):
        where = f"row {p.row}" if p.row else "header"
        ev = f" (event {p.event_id})" if p.event_id else ""
        val = "" if is_missing(p.value) else f" = '{p.value}'"
        lines.append(f"{source}: {where}{ev}, field {p.field}{val}: {p.problem}. Fix: {p.fix}.")
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more problems.")
    return "\n".join(lines)


def check_ledger(
    ledger: pd.DataFrame,
    parcels: pd.DataFrame,
    existing_ids: Iterable[str] = (),
    source: str = "ledger",
    not_after: Any = None,
) -> pd.DataFrame:
    """Validate and return the normalised ledger; raise SchemaError listing every error.

    Warnings (severity ``warning``) do not stop; they are in ``attrs["warnings"]`` (a list
    of problem records).
    """
    problems = validate_ledger(ledger, parcels, existing_ids, not_after=not_after)
    errors = problems[problems["severity"] == "error"]
    if len(errors):
        raise SchemaError(
            f"{source}: {len(errors)} problem(s) in the ledger; nothing was used.\n"
            + format_problems(errors, source)
        )
    led, _ = normalise_ledger(ledger)
    led.attrs = {"warnings": problems[problems["severity"] == "warning"].to_dict("records")}
    return led


def validate_events(
    events: pd.DataFrame | Sequence[Mapping[str, Any]],
    parcels: pd.DataFrame,
    existing_ids: Iterable[str] = (),
    source: str = "new events",
    today: Any = None,
    unknown_fields: str = "refuse",
) -> pd.DataFrame:
    """Check events about to be appended to a ledger; return them normalised, or raise.

    The one validation of every ledger write (plain GeoPackage, GeoPackage store, PostGIS
    store, CLI and API): the rules of :func:`validate_ledger` (unknown parcel or code,
    negative or missing area where the stage needs one, area larger than the parcel, event
    before the parcel's supply unless a disposal explains a re-supply, a correction naming
    a missing event, duplicated ids including ids already stored) plus: no event dated
    after ``today``; every value a single value (not a list or object); fields outside
    the standard refused (``unknown_fields="refuse"``) or dropped (``"ignore"``).

    Parameters
    ----------
    events : DataFrame or sequence of mappings
        The new events in the standard's names (codes may be Chinese words).
    parcels : DataFrame or GeoDataFrame
        At least the parcels the events name (``parcel_id``; ``supply_date`` and the
        area or geometry when known).
    existing_ids : iterable of str
        Event ids already stored (at least those the events use or correct).
    source : str
        What the events are, for messages (e.g. ``park.gpkg (new events)``).
    today : date-like, optional
        Latest acceptable event date (default: today).
    unknown_fields : {"refuse", "ignore"}
        What to do with fields that are not ledger fields.

    Returns
    -------
    DataFrame
        The events normalised (:func:`normalise_ledger`), warnings in
        ``attrs["warnings"]``.

    Raises
    ------
    ConflictError
        When the only errors are event ids already stored.
    SchemaError
        For any other error. Either error lists every problem in its message (one line
        each, naming row, event, field, value and fix) and in ``problems``.
    """
    extra: list[dict[str, Any]] = []
    if isinstance(events, pd.DataFrame):
        frame = events.reset_index(drop=True)
    else:
        recs: list[dict[str, Any]] = []
        for i, rec in enumerate(events):
            if not isinstance(rec, Mapping):
                extra.append(_problem(i + 1, None, "properties", None, "not_object",
                                      fields=", ".join(LEDGER_FIELDS)))
                rec = {}
            recs.append(dict(rec))
        frame = pd.DataFrame.from_records(recs) if recs else pd.DataFrame()
    if len(frame.columns):
        frame = pd.DataFrame({c: frame[c].astype(object) for c in frame.columns})
    ids = frame["event_id"] if "event_id" in frame else pd.Series([None] * len(frame))
    for c in list(frame.columns):
        col = frame[c]
        if c not in LEDGER_FIELDS:
            if unknown_fields == "refuse":
                for j in np.flatnonzero([not is_missing(v) for v in col]):
                    extra.append(_problem(int(j) + 1, ids.iloc[j], str(c), col.iloc[j],
                                          "unknown_field", fields=", ".join(LEDGER_FIELDS)))
            frame = frame.drop(columns=[c])
            continue
        nested = [isinstance(v, Mapping | list | tuple | set) for v in col]
        for j in np.flatnonzero(nested):
            extra.append(_problem(int(j) + 1, ids.iloc[j] if c != "event_id" else None,
                                  str(c), col.iloc[j], "not_single"))
        if any(nested):
            frame[c] = [None if n else v for n, v in zip(nested, col, strict=True)]
    when = pd.Timestamp.now().normalize() if today is None else today
    problems = validate_ledger(frame, parcels, existing_ids, not_after=when)
    if extra:
        problems = pd.concat([pd.DataFrame(extra, columns=list(PROBLEM_COLUMNS)), problems],
                             ignore_index=True)
        problems = problems.sort_values(["row", "field"], kind="stable").reset_index(drop=True)
    errors = problems[problems["severity"] == "error"]
    if len(errors):
        cls = ConflictError if (errors["problem"] == STORED_ID_PROBLEM).all() else SchemaError
        err = cls(f"{source}: {len(errors)} problem(s); nothing was stored.\n"
                  + format_problems(errors, source))
        err.problems = [
            {str(k): (None if is_missing(v) else v) for k, v in r.items()}
            for r in errors.to_dict("records")
        ]
        raise err
    led, _ = normalise_ledger(frame)
    led.attrs = {"warnings": problems[problems["severity"] == "warning"].to_dict("records")}
    return led


def apply_corrections(ledger: pd.DataFrame) -> pd.DataFrame:
    """Return the effective events: each chain of corrections replaced by its latest row.

    A correction is a row whose ``corrects`` names an earlier event; corrections may
    themselves be corrected. The latest row of a chain (the last in ledger order, which
    in an append-only store is the order of recording) is the effective event. The
    result keeps that row's fields, sets ``event_id`` to the original event's id and adds
    ``effective_event_id`` (the id of the row in force) and ``corrections`` (how many
    corrections were applied). Rows are in ledger order of the original events.

    Examples
    --------
    >>> led = pd.DataFrame({"event_id": ["E1", "E2", "C1"], "parcel_id": ["P1", "P2", "P1"],
    ...     "event_date": pd.to_datetime(["2023-03-01", "2023-04-01", "2023-03-01"]),
    ...     "stage": ["disposed"] * 3, "area_m2": [100.0, 50.0, 80.0],
    ...     "corrects": [None, None, "E1"]})
    >>> apply_corrections(led)[["event_id", "effective_event_id", "area_m2"]].values.tolist()
    [['E1', 'C1', 80.0], ['E2', 'E2', 50.0]]
    """
    led = ledger.reset_index(drop=True)
    if "corrects" not in led:
        out = led.copy()
        out["effective_event_id"] = out["event_id"]
        out["corrections"] = 0
        return out
    ids = led["event_id"].astype(object).tolist()
    corrects = led["corrects"].astype(object).tolist()
    parent = {e: c for e, c in zip(ids, corrects, strict=True) if not is_missing(c)}

    id_set = set(ids)

    def root(e: str) -> str:
        seen = set()
        while e in parent and parent[e] in id_set and e not in seen:
            seen.add(e)
            e = parent[e]
        return e

    roots = [root(e) for e in ids]
    last: dict[str, int] = {}
    count: dict[str, int] = {}
    for i, r in enumerate(roots):
        last[r] = i
        count[r] = count.get(r, 0) + 1
    originals = [i for i, e in enumerate(ids) if is_missing(corrects[i]) or roots[i] == e]
    take = [last[ids[i]] for i in originals]
    out = led.iloc[take].copy().reset_index(drop=True)
    out["effective_event_id"] = out["event_id"]
    out["event_id"] = [ids[i] for i in originals]
    out["corrections"] = [count[ids[i]] - 1 for i in originals]
    out["corrects"] = None
    return out


def case_state(events: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Current state of each parcel's case from its effective events up to ``as_of``.

    Returns one row per parcel_id: ``stage`` (of the latest event; a procedure or fee
    event counts as the stage it implies, :data:`IMPLIED_STAGE`, and a payment leaves the
    stage as it was: ``None`` when nothing else is recorded), ``stage_date``,
    ``method`` (latest non-empty), ``disposed_area_m2`` (largest area of a ``disposed``
    event: the same land disposed twice counts once), ``new_holder`` (latest),
    ``first_date``, ``events`` (count) and ``event_ids``.
    """
    ev = events
    if as_of is not None and len(ev):
        ev = ev[ev["event_date"] <= pd.Timestamp(as_of)]
    cols = ["parcel_id", "stage", "stage_date", "method", "disposed_area_m2", "new_holder",
            "first_date", "events", "event_ids"]
    if not len(ev):
        return pd.DataFrame(columns=cols).set_index("parcel_id")
    ev = ev.assign(_order=np.arange(len(ev))).sort_values(["event_date", "_order"], kind="stable")
    g = ev.groupby("parcel_id", sort=True)
    case = ev.assign(stage=[IMPLIED_STAGE.get(s, s) if s in IMPLIED_STAGE else s
                            for s in ev["stage"]]).dropna(subset=["stage"])
    last = case.groupby("parcel_id").tail(1).set_index("parcel_id")
    disposed = ev[ev["stage"] == "disposed"].groupby("parcel_id")["area_m2"].max()
    out = pd.DataFrame(
        {
            "stage": last["stage"].reindex(g.size().index).astype(object),
            "stage_date": last["event_date"].reindex(g.size().index),
            "method": ev.dropna(subset=["method"]).groupby("parcel_id")["method"].last()
            if "method" in ev else None,
            "disposed_area_m2": disposed,
            "new_holder": ev.dropna(subset=["new_holder"]).groupby("parcel_id")["new_holder"]
            .last() if "new_holder" in ev else None,
            "first_date": g["event_date"].min(),
            "events": g.size(),
            "event_ids": g["event_id"].agg(lambda s: ";".join(map(str, s))),
        }
    )
    out.index.name = "parcel_id"
    return out


PROCEDURE_COLUMNS: tuple[str, ...] = (
    *PROCEDURE_STAGES, "fee_levied_wan", "fee_levied_date", "fee_paid_wan", "fee_paid_date",
    "closed_by", "closed_method", "closed_date",
)
"""Columns of :func:`procedure_state`."""


def _closes(stage: Any, method: Any) -> bool:
    return stage == "auction_completed" or (stage == "disposed" and method in CLOSING_METHODS)


def closes(stage: Any, method: Any) -> bool:
    """True when an event of ``stage`` and ``method`` ends the idle case of its parcel: an
    auction completed, or disposed by one of :data:`CLOSING_METHODS`."""
    return _closes(stage, method)


def procedure_state(events: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Each parcel's procedure documents, idle-land fee and disposal, from its events.

    Parameters
    ----------
    events : DataFrame
        Effective events (corrections applied), normalised.
    as_of : date-like, optional
        Only events on or before this day count.

    Returns
    -------
    DataFrame
        Index ``parcel_id``; columns :data:`PROCEDURE_COLUMNS`: the date of each procedure
        document (the latest event of its stage, :data:`PROCEDURE_STAGES`); the fee levied
        (应缴: the amount of the latest ``fee_levied`` event, a later decision replacing an
        earlier one) and paid (已缴: the sum of the ``fee_paid`` events, instalments adding
        up), each with its latest date; and the disposal that ended the case: ``closed_by``
        (``auction_completed``, or ``disposed`` by a method of :data:`CLOSING_METHODS`),
        its method and date, when that event is the case's latest stage (a case opened
        again after it, e.g. a new investigation of the new holder, is open).

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "parcel_id": ["P1"] * 3,
    ...     "event_date": pd.to_datetime(["2023-01-05", "2023-03-01", "2023-04-01"]),
    ...     "stage": ["investigation_notice", "fee_levied", "fee_paid"],
    ...     "method": [None] * 3, "fee_wan": [np.nan, 90.0, 40.0]})
    >>> st = procedure_state(ev)
    >>> st.loc["P1", "fee_levied_wan"], st.loc["P1", "fee_paid_wan"], st.loc["P1", "closed_by"]
    (90.0, 40.0, None)
    """
    ev = events
    if as_of is not None and len(ev):
        ev = ev[ev["event_date"] <= pd.Timestamp(as_of)]
    ev = ev.assign(_order=np.arange(len(ev))).sort_values(["event_date", "_order"], kind="stable")
    fee = ev["fee_wan"] if "fee_wan" in ev else pd.Series(np.nan, index=ev.index)
    method = ev["method"] if "method" in ev else pd.Series(None, index=ev.index, dtype=object)
    out: dict[str, dict[str, Any]] = {}
    for pid, idx in ev.groupby("parcel_id", sort=True).groups.items():
        g = ev.loc[idx]
        rec: dict[str, Any] = dict.fromkeys(PROCEDURE_COLUMNS)
        for s in PROCEDURE_STAGES:
            d = g.loc[g["stage"] == s, "event_date"]
            rec[s] = d.iloc[-1] if len(d) else None
        lev = g[g["stage"] == "fee_levied"]
        if len(lev):
            rec["fee_levied_wan"] = float(fee[lev.index[-1]])
            rec["fee_levied_date"] = lev["event_date"].iloc[-1]
        paid = g[g["stage"] == "fee_paid"]
        if len(paid):
            rec["fee_paid_wan"] = float(fee[paid.index].sum())
            rec["fee_paid_date"] = paid["event_date"].iloc[-1]
        staged = g[[IMPLIED_STAGE.get(s, s) is not None for s in g["stage"]]]
        if len(staged):
            i = staged.index[-1]
            if _closes(staged.at[i, "stage"], method[i]):
                rec["closed_by"] = staged.at[i, "stage"]
                rec["closed_method"] = None if is_missing(method[i]) else method[i]
                rec["closed_date"] = staged.at[i, "event_date"]
        out[str(pid)] = rec
    frame = pd.DataFrame.from_dict(out, orient="index", columns=list(PROCEDURE_COLUMNS))
    frame.index.name = "parcel_id"
    return frame.astype(object).where(frame.notna(), None)
