"""The disposal ledger: validation, corrections, case state, and append-only writes.

The ledger (parcel standard §2) has one row per event on a parcel's road back to use.
Rows are never edited or deleted: a correction is a new row whose ``corrects`` names the
row it corrects, and the effective event is the latest correction of a chain.

The pure core (:func:`normalise_ledger`, :func:`validate_ledger`, :func:`check_ledger`,
:func:`validate_events`, :func:`apply_corrections`, :func:`case_state`) takes DataFrames
and returns DataFrames. :func:`validate_events` is THE check of new events: every writer
calls it, whether :func:`append_events` (a plain GeoPackage's ``ledger`` table, one SQLite
transaction) or ``Store.append_events`` (the GeoPackage and PostGIS stores behind the
CLI and the API), so a bad event gets the same message wherever it is refused.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.errors import ConflictError, DataSourceError, SchemaError
from landuse.standard import get_standard
from landuse.units import M2_PER_MU

__all__ = [
    "AREA_STAGES",
    "LEDGER_FIELDS",
    "PROBLEM_COLUMNS",
    "STORED_ID_PROBLEM",
    "append_events",
    "apply_corrections",
    "case_state",
    "check_ledger",
    "format_problems",
    "normalise_ledger",
    "parse_date",
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
)
"""The standard's ledger fields, in order."""

AREA_STAGES: frozenset[str] = frozenset({"disposed", "auction_started", "auction_completed"})
"""Stages whose event must say how much land it concerns (``area_m2`` > 0)."""

PROBLEM_COLUMNS: tuple[str, ...] = (
    "row",
    "event_id",
    "field",
    "value",
    "problem",
    "fix",
    "severity",
)
"""Columns of the problems table returned by :func:`validate_ledger`."""

STORED_ID_PROBLEM = "event id already in the ledger"
"""The problem text of an event id that is already stored (a conflict, not a bad value)."""


AREA_TOLERANCE = 1.005
"""An event may claim up to 0.5 % more than the parcel's measured area (digitising error)."""

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)

_TRUE = {"true", "1", "yes", "y", "是", "t", "√", "1.0"}
_FALSE = {"false", "0", "no", "n", "否", "f", "", "0.0"}


def rows(df: pd.DataFrame) -> Iterator[Any]:
    """Iterate a frame's rows as named tuples (typed loosely: fields are any value)."""
    return iter(df.itertuples(index=False))


def parse_date(value: Any) -> pd.Timestamp | None:
    """Parse one date in the forms the standard accepts; None when empty, ValueError if bad.

    Examples
    --------
    >>> parse_date("2023年5月8日")
    Timestamp('2023-05-08 00:00:00')
    >>> parse_date("2023.05.08") == parse_date("2023/5/8")
    True
    >>> parse_date(None) is None
    True
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    if isinstance(value, datetime):
        return pd.Timestamp(value).normalize()
    if hasattr(value, "year") and hasattr(value, "month"):  # datetime.date
        return pd.Timestamp(value)
    if isinstance(value, int | float | np.integer | np.floating):
        n = float(value)
        if 20000 < n < 80000:  # Excel serial date
            return pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(n))
        raise ValueError(f"'{value}' is not a date")
    text = str(value).strip()
    if not text or text.lower() in ("nat", "nan", "none"):
        return None
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return pd.Timestamp(year=y, month=mo, day=d)
    raise ValueError(f"'{value}' is not a date")


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _text(v: Any) -> str | None:
    if _is_missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _problem(
    row: int, event_id: Any, field: str, value: Any, problem: str, fix: str, severity: str = "error"
) -> dict[str, Any]:
    return {
        "row": row,
        "event_id": _text(event_id),
        "field": field,
        "value": None if _is_missing(value) else str(value),
        "problem": problem,
        "fix": fix,
        "severity": severity,
    }


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

    for f in ("event_id", "parcel_id", "new_holder", "corrects", "note"):
        col = src[f] if f in src else pd.Series([None] * n)
        out[f] = pd.Series([_text(v) for v in col], dtype=object)

    dates: list[pd.Timestamp | None] = []
    col = src["event_date"] if "event_date" in src else pd.Series([None] * n)
    for i, v in enumerate(col):
        try:
            dates.append(parse_date(v))
        except ValueError:
            dates.append(None)
            problems.append(
                _problem(
                    i + 1, ids.iloc[i], "event_date", v, "not a date",
                    "write the date as YYYY-MM-DD (e.g. 2023-05-08)",
                )
            )
    out["event_date"] = pd.to_datetime(pd.Series(dates, dtype=object), errors="coerce")

    for f in ("stage", "method"):
        col = src[f] if f in src else pd.Series([None] * n)
        codes: list[str | None] = []
        allowed = ", ".join(
            f"{c} ({w[0]})" if w else c for c, w in std.codes[f].items()
        )
        for i, v in enumerate(col):
            if _is_missing(v):
                codes.append(None)
                continue
            code = std.code_for(f, v)
            if code is None:
                problems.append(
                    _problem(
                        i + 1, ids.iloc[i], f, v, f"unknown {f} code",
                        f"use one of: {allowed}",
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
    for f, fac in (("area_m2", factor), ("expected_output_wan", 1.0)):
        col = src[f] if f in src else pd.Series([None] * n)
        vals: list[float] = []
        for i, v in enumerate(col):
            if _is_missing(v):
                vals.append(np.nan)
                continue
            try:
                num = float(str(v).replace(",", "").strip()) * fac
                if not math.isfinite(num):
                    raise ValueError(v)
                vals.append(num)
            except ValueError:
                vals.append(np.nan)
                problems.append(
                    _problem(i + 1, ids.iloc[i], f, v, "not a number", "write a plain number")
                )
        out[f] = np.asarray(vals, dtype=float)

    col = src["zombie_cleared"] if "zombie_cleared" in src else pd.Series([None] * n)
    flags: list[Any] = []
    for i, v in enumerate(col):
        if _is_missing(v) or v is pd.NA:
            flags.append(pd.NA)
        elif isinstance(v, bool | np.bool_):
            flags.append(bool(v))
        elif str(v).strip().lower() in _TRUE:
            flags.append(True)
        elif str(v).strip().lower() in _FALSE:
            flags.append(False)
        else:
            flags.append(pd.NA)
            problems.append(
                _problem(
                    i + 1, ids.iloc[i], "zombie_cleared", v, "not yes/no",
                    "write 是/否 or true/false",
                )
            )
    out["zombie_cleared"] = pd.array(flags, dtype="boolean")
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
            _problem(0, None, f, None, f"column '{f}' missing",
                     f"add the column '{f}' "
                     f"({'/'.join(get_standard().field('ledger', f).aliases)})")
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
            if _is_missing(v) and not (f in ("event_date", "stage") and row in bad_rows):
                problems.append(
                    _problem(row, eid, f, None, f"required field '{f}' is empty", f"fill in {f}")
                )
        if eid and counts.get(eid, 0) > 1:
            problems.append(
                _problem(row, eid, "event_id", eid, "duplicated event id",
                         "give each event its own id (a correction is a new event with its own "
                         "id that names the old one in 'corrects')")
            )
        if eid and eid in existing:
            problems.append(
                _problem(row, eid, "event_id", eid, STORED_ID_PROBLEM,
                         "events are never overwritten: use a new id, with 'corrects' "
                         "naming the old event to correct it")
            )
        parcel = r.parcel_id
        if parcel and parcel not in known:
            problems.append(
                _problem(row, eid, "parcel_id", parcel, "unknown parcel",
                         "use a parcel_id of the parcels layer, or add the parcel first")
            )
        area = r.area_m2
        if not np.isnan(area) and area < 0:
            problems.append(
                _problem(row, eid, "area_m2", area, "negative area",
                         "give the area brought back to use as a positive number")
            )
        elif r.stage in AREA_STAGES and (np.isnan(area) or area == 0):
            problems.append(
                _problem(row, eid, "area_m2", None if np.isnan(area) else area,
                         f"stage '{r.stage}' needs the area it concerns",
                         "give area_m2 (or 面积(亩)) greater than 0")
            )
        elif not np.isnan(area) and parcel in known:
            parcel_area = float(area_of.get(parcel, np.nan))
            if not np.isnan(parcel_area) and area > parcel_area * AREA_TOLERANCE:
                problems.append(
                    _problem(row, eid, "area_m2", round(area, 1),
                             f"area {area / M2_PER_MU:.1f} 亩 is larger than parcel {parcel} "
                             f"({parcel_area / M2_PER_MU:.1f} 亩)",
                             "check the area and its unit (m² vs 亩)")
                )
        if parcel in known and not pd.isna(r.event_date) and parcel in supply_of:
            sd = supply_of[parcel]
            resupplied = any(
                r.event_date <= d <= sd for d in resupply.get(parcel, ())
            ) if not pd.isna(sd) else False
            if not pd.isna(sd) and r.event_date < sd and not resupplied:
                problems.append(
                    _problem(row, eid, "event_date", r.event_date.date(),
                             f"event dated before the parcel's supply ({pd.Timestamp(sd).date()})",
                             "check the event date or the parcel's supply_date")
                )
        if not_after is not None and not pd.isna(r.event_date) \
                and r.event_date > pd.Timestamp(not_after):
            problems.append(
                _problem(row, eid, "event_date", r.event_date.date(),
                         f"event dated after {pd.Timestamp(not_after).date()}",
                         "a ledger records what has happened: check the year and month")
            )
        if r.corrects:
            if r.corrects == eid:
                problems.append(
                    _problem(row, eid, "corrects", r.corrects, "an event cannot correct itself",
                             "name the event being corrected")
                )
            elif r.corrects not in all_ids:
                problems.append(
                    _problem(row, eid, "corrects", r.corrects, "corrects an event that "
                             "does not exist", "name the event_id of an existing event")
                )
        if r.stage == "disposed" and r.method is None and row not in bad_rows:
            problems.append(
                _problem(row, eid, "method", None, "disposed event without a method",
                         "give the method (e.g. 先租后让, 协议转让, 兼并重组)", "warning")
            )
    out = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    return out.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


def format_problems(problems: pd.DataFrame, source: str = "ledger", limit: int = 20) -> str:
    """One line per problem, naming source, row, event, field, value and fix."""
    lines = []
    for p in rows(problems.head(limit)):
        where = f"row {p.row}" if p.row else "header"
        ev = f" (event {p.event_id})" if p.event_id else ""
        val = "" if _is_missing(p.value) else f" = '{p.value}'"
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
                extra.append(_problem(i + 1, None, "properties", None,
                                      "not an object of ledger fields",
                                      f"give the fields {', '.join(LEDGER_FIELDS)}"))
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
                for j in np.flatnonzero([not _is_missing(v) for v in col]):
                    extra.append(_problem(int(j) + 1, ids.iloc[j], str(c), col.iloc[j],
                                          "unknown field",
                                          f"use the ledger fields {', '.join(LEDGER_FIELDS)}"))
            frame = frame.drop(columns=[c])
            continue
        nested = [isinstance(v, Mapping | list | tuple | set) for v in col]
        for j in np.flatnonzero(nested):
            extra.append(_problem(int(j) + 1, ids.iloc[j] if c != "event_id" else None,
                                  str(c), col.iloc[j], "not a single value",
                                  "give plain text, a number or a date"))
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
            {str(k): (None if _is_missing(v) else v) for k, v in r.items()}
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
    parent = {e: c for e, c in zip(ids, corrects, strict=True) if not _is_missing(c)}

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
    originals = [i for i, e in enumerate(ids) if _is_missing(corrects[i]) or roots[i] == e]
    take = [last[ids[i]] for i in originals]
    out = led.iloc[take].copy().reset_index(drop=True)
    out["effective_event_id"] = out["event_id"]
    out["event_id"] = [ids[i] for i in originals]
    out["corrections"] = [count[ids[i]] - 1 for i in originals]
    out["corrects"] = None
    return out


def case_state(events: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Current state of each parcel's case from its effective events up to ``as_of``.

    Returns one row per parcel_id: ``stage`` (of the latest event), ``stage_date``,
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
    last = g.tail(1).set_index("parcel_id")
    disposed = ev[ev["stage"] == "disposed"].groupby("parcel_id")["area_m2"].max()
    out = pd.DataFrame(
        {
            "stage": last["stage"],
            "stage_date": last["event_date"],
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


# --------------------------------------------------------------------------- store adapter

_SQL_TYPES = {
    "event_id": "TEXT", "parcel_id": "TEXT", "event_date": "DATE", "stage": "TEXT",
    "method": "TEXT", "area_m2": "REAL", "new_holder": "TEXT", "expected_output_wan": "REAL",
    "zombie_cleared": "BOOLEAN", "corrects": "TEXT", "note": "TEXT",
    "recorded_at": "DATETIME", "recorded_by": "TEXT",
}


def _sql_value(field: str, v: Any) -> Any:
    if _is_missing(v) or v is pd.NA:
        return None
    if field == "event_date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if field == "zombie_cleared":
        return int(bool(v))
    if isinstance(v, np.generic):
        return v.item()
    return v


def _ledger_columns(con: sqlite3.Connection) -> list[str] | None:
    rows = con.execute("PRAGMA table_info('ledger')").fetchall()
    return [r[1] for r in rows] if rows else None


def _create_ledger_table(con: sqlite3.Connection) -> None:
    cols = ", ".join(f'"{c}" {t}' for c, t in _SQL_TYPES.items())
    con.execute(f'CREATE TABLE "ledger" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {cols})')
    has_contents = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gpkg_contents'"
    ).fetchone()
    if has_contents:
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES ('ledger', 'attributes', 'ledger', "
            "'disposal ledger (append-only)', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )


def append_events(
    gpkg_path: str | Path,
    events_df: pd.DataFrame,
    actor: str | None = None,
    parcels: pd.DataFrame | None = None,
) -> int:
    """Append ledger events to the ``ledger`` table of a GeoPackage, all or nothing.

    The rows are validated first (against ``parcels``, by default the file's own
    ``parcels`` layer, and against the event ids already stored), then inserted inside
    one ``BEGIN IMMEDIATE`` transaction: either every row is stored or, on any error
    (including a crash mid-batch), none is. Rows are only ever INSERTed; existing rows are
    never updated or deleted. Each row records ``recorded_at`` (UTC) and ``recorded_by``
    (``actor``). A store whose ledger columns carry Chinese aliases or an area in 亩
    is written in its own columns and unit.

    Parameters
    ----------
    gpkg_path : str or Path
        The GeoPackage (created ledger table if it has none).
    events_df : DataFrame
        New events in the standard's names (codes may be Chinese words).
    actor : str, optional
        Who records the events.
    parcels : DataFrame, optional
        Parcels to validate against; read from the file's ``parcels`` layer if omitted.

    Returns
    -------
    int
        Number of rows appended.
    """
    p = Path(gpkg_path)
    if not p.exists():
        raise DataSourceError(f"{p}: file not found. Fix: check the path.")
    if parcels is None:
        from landuse.io import read_parcels

        parcels = read_parcels(p)
    std = get_standard()
    con = sqlite3.connect(p, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            cols = _ledger_columns(con)
            if cols is None:
                _create_ledger_table(con)
                cols = _ledger_columns(con) or []
            colmap: dict[str, tuple[str, float]] = {}
            for c in cols:
                m = std.match_header(c, "ledger")
                if m is not None and m.field.name not in colmap:
                    colmap[m.field.name] = (c, m.unit_m2 or 1.0)
            for extra in ("recorded_at", "recorded_by"):
                if extra not in cols:
                    con.execute(f'ALTER TABLE "ledger" ADD COLUMN "{extra}" {_SQL_TYPES[extra]}')
                colmap[extra] = (extra, 1.0)
            existing = [
                r[0] for r in con.execute(f'SELECT "{colmap["event_id"][0]}" FROM "ledger"')
            ] if "event_id" in colmap else []
            led = validate_events(events_df, parcels, existing, source=f"{p} (new events)",
                                  unknown_fields="ignore")
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            led = led.assign(recorded_at=now, recorded_by=actor)
            fields = [f for f in (*LEDGER_FIELDS, "recorded_at", "recorded_by") if f in colmap]
            target = ", ".join(f'"{colmap[f][0]}"' for f in fields)
            sql = f'INSERT INTO "ledger" ({target}) VALUES ({", ".join("?" * len(fields))})'
            rows = []
            for rec in led[fields].to_dict("records"):
                vals = []
                for f in fields:
                    v = _sql_value(f, rec[f])
                    if f == "area_m2" and v is not None:
                        v = v / colmap[f][1]
                    vals.append(v)
                rows.append(vals)
            con.executemany(sql, rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except sqlite3.Error as e:
        raise DataSourceError(
            f"{p}: the ledger could not be written ({e}); nothing was stored. "
            "Fix: check the file is a writable GeoPackage not locked by another program."
        ) from e
    finally:
        con.close()
    return len(rows)
