"""All the figures of the report, computed from assessed parcels and the ledger (pure).

:func:`build_report` takes the assessed parcels (parcel standard §1 + §3) and the disposal
ledger (§2) and returns a :class:`ReportData`: the headline figures and paragraph, the
tables, chart series, the zone indicators, notes, and the geometries for the overview map.
Each section is a pure function of its own module (see :mod:`landuse.report`); this one
checks the inputs and puts the sections together. Writers (:mod:`landuse.report.writers`)
only lay out :meth:`ReportData.to_dict`; they compute nothing.

Counting rules (stated in the report's notes):

* events count when ``date_from <= event_date <= date_to``; others are listed as excluded;
* corrections are applied first: a corrected event counts with its latest correction;
* 盘活 (brought back into use) = effective ``disposed`` events; a parcel disposed more than
  once in the period counts once, with its largest area and the method of its latest
  disposal;
* zombie enterprises = distinct former holders of parcels with a ``zombie_cleared`` event
  (the event's ``holder``, else the parcel's holder in the register, with a note);
  new enterprises = distinct ``new_holder`` names of events in the period;
* auctions completed = parcels with an ``auction_completed`` event in the period; auctions
  started = parcels with an ``auction_started`` event in the period and no completion by
  the period's end;
* idle parcels by stage = parcels whose case, at the period's end, is at
  ``remedy_start_pending`` / ``recovery_in_progress`` / ``investigating`` and that the
  assessment holds idle (others are named in a note); their area is the area of the
  latest event, else the parcel's area.

What each section needs from the parcels (a province report is built from one small
:class:`~landuse.report.partial.ReportPart` per development zone, merged in zone order, so
the client's memory follows the zones and the parcels the report lists, never every
parcel; :func:`build_report` on a whole frame is the part of everything, the same code):

* **counts and sums by category** (per-zone partial aggregates, sums exact so that the
  merge does not depend on the split, :mod:`landuse.report.sums`): parcels and m² per
  五未 stage and in all (``lifecycle``), parcels, 亩 and tax per 亩均 class (``mujun``),
  parcels and 亩 per sub-park (``by_zone``), the areas, values and counts of the zone
  indicators (``indicators``), the parcels covered (``meta``), the sub-parks present
  (``--zone``);
* **lists of parcels** (a zone returns these rows only): the idle parcels (``idle_parcels``,
  ``recovery_lead``, idle columns of ``by_zone``, ``G``), the low-efficiency ones
  (``low_efficiency``, ``enforcement``), the flagged ones (``flags``, ``flagged_parcels``,
  ``enforcement``) and every parcel the ledger names (its check, 盘活, zombies, open cases,
  ``procedure``, ``by_stage``);
* **ranks**: the 亩均 tables read the ranks the assessment wrote (``mujun_rank``, ranked
  within each development zone); the enterprise table lists every rated enterprise, so a
  zone returns its rated parcels' nine columns (:data:`~landuse.report.partial.
  RATED_COLUMNS`) and the client makes the enterprises from them (first parcel by id,
  parcels, exact 亩);
* **the HTML overview map**: every parcel when the report covers at most
  :data:`~landuse.report.partial.MAP_ALL_PARCELS` parcels (the one-machine map, in the
  frame's order); above that only the parcels of a category (disposed, idle,
  low-efficiency, open case) in parcel-id order, the others counted in the legend but not
  drawn; beyond :data:`~landuse.report.overview.SHAPES_LIMIT` drawn parcels the map is
  drawn as cells of a few pixels (:func:`~landuse.report.overview.overview_svg`), so its
  size is bounded whatever the number of parcels.

Evidence, supply and a store's history read every parcel (their own joins); a report with
them is built from the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import SchemaError
from landuse.ledger import (
    apply_corrections,
    case_state,
    check_ledger,
    normalise_ledger,
    procedure_state,
)
from landuse.report.cells import idle_mask, low_mask
from landuse.report.evidence import check_evidence, evidence_section
from landuse.report.headline import headline as work_paragraph
from landuse.report.ledger_tables import (
    events_table,
    method_table,
    month_table,
    stage_table,
    zone_table,
)
from landuse.report.model import ReportData
from landuse.report.parcel_tables import (
    enforcement_counts,
    enterprise_part,
    enterprise_rows,
    flag_tables,
    idle_table,
    indicator_section,
    lifecycle_rows,
    low_efficiency_table,
    map_frame_of,
    mujun_rows,
    procedure_table,
    recovery_lead,
    report_charts,
)
from landuse.report.partial import MAP_ALL_PARCELS, ReportPart, report_part
from landuse.report.period import Period, parse_day
from landuse.report.reclamation import (
    auctions,
    count_disposals,
    expected_output_wan,
    ledger_notes,
    new_enterprises,
    not_idle_note,
    open_cases,
    reclamation_figures,
    zombie_note,
    zombies_cleared,
)
from landuse.report.text import T
from landuse.units import M2_PER_MU

__all__ = [
    "ASSESSED_COLUMNS",
    "ENTERPRISE_COLUMNS",
    "REPORT_COLUMNS",
    "build_report",
    "ledger_ids",
    "prepare_parcels",
    "report_from_part",
    "source_name",
]

ASSESSED_COLUMNS: tuple[str, ...] = (
    "lifecycle", "idle_type", "overdue_days", "idle_fee_wan", "recovery_candidate",
    "low_efficiency", "failed_indicators", "mujun_score", "mujun_class", "flags",
)
"""The assessment columns (parcel standard §3) the report reads."""

ENTERPRISE_COLUMNS: tuple[str, ...] = ("enterprise", "mujun_scheme", "mujun_rank")
"""The 亩均-by-enterprise columns: an assessment made before them lacks them; the report
then lists no enterprise and says so in a note."""


REPORT_COLUMNS: tuple[str, ...] = (
    "parcel_id", "zone", "holder", "credit_code", "land_use", "approval_date", "supply_date",
    "agreed_start_date", "agreed_completion_date", "completion_date", "registered_area_m2",
    "area_m2", "area_mu", "area_ha", "floor_area_m2", "footprint_m2", "yard_area_m2",
    "invested_wan", "tax_wan", "start_evidence", *ASSESSED_COLUMNS, *ENTERPRISE_COLUMNS,
)
"""Every parcel column a report reads (its tables, indicators, evidence and supply
sections), besides the geometry (the overview map, evidence, supply): a report built from
these columns alone equals one built from the whole assessment. A province run gathers
only these (:class:`landuse.engine.SliceJob`). A store's history tables also read
``reasons``; they are made from the store, not from a province dataset."""


def prepare_parcels(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The assessed parcels as the report reads them: checked (ids present and unique,
    the assessment columns there), ids as text, ``area_m2`` measured where missing,
    ``area_mu``, and empty ``zone``/``holder``/enterprise columns where absent."""
    if "parcel_id" not in parcels:
        raise SchemaError("parcels: column 'parcel_id' missing. Fix: add 宗地号/parcel_id.")
    missing = [c for c in ASSESSED_COLUMNS if c not in parcels]
    if missing:
        raise SchemaError(
            f"parcels: the assessment columns {', '.join(missing)} are missing. Fix: run "
            "'landuse assess' first (landuse report INPUT runs it for you)."
        )
    p = parcels.copy()
    p["parcel_id"] = p["parcel_id"].astype(str)
    if p["parcel_id"].duplicated().any():
        dup = p.loc[p["parcel_id"].duplicated(), "parcel_id"].iloc[0]
        raise SchemaError(f"parcels: parcel_id '{dup}' appears more than once. Fix: make ids "
                          "unique.")
    if "area_m2" not in p or p["area_m2"].isna().any():
        from landuse.core.area import ellipsoidal_area_m2

        p["area_m2"] = ellipsoidal_area_m2(p.geometry)
    p["area_mu"] = p["area_m2"].astype(float) / M2_PER_MU
    if "zone" not in p:
        p["zone"] = None
    if "holder" not in p:
        p["holder"] = None
    for c in ENTERPRISE_COLUMNS:
        if c not in p:
            p[c] = None
    return p


@dataclass
class _Ledger:
    """The ledger checked against the parcels, with corrections applied."""

    effective: pd.DataFrame
    warnings: pd.DataFrame
    rows: int
    source: str


def source_name(source: str) -> str:
    """The name a report shows for an input: the file's name, never the server's path
    (errors name the whole path, for the person who gave it).

    Examples
    --------
    >>> source_name("/srv/landuse/data/台账.xlsx"), source_name("ledger")
    ('台账.xlsx', 'ledger')
    >>> source_name("C:\\data\\park.gpkg")
    'park.gpkg'
    """
    return PureWindowsPath(source).name if "\\" in source else PurePosixPath(source).name


def _checked_ledger(ledger: pd.DataFrame, parcels: pd.DataFrame) -> _Ledger:
    source = str(ledger.attrs.get("landuse", {}).get("source") or "ledger")
    led = check_ledger(ledger, parcels, source=source)
    warnings = pd.DataFrame(led.attrs.get("warnings", []),
                            columns=["row", "event_id", "problem"])
    led.attrs = {}
    return _Ledger(apply_corrections(led), warnings, len(led), source)


def build_report(
    parcels_assessed: gpd.GeoDataFrame,
    ledger: pd.DataFrame,
    date_from: Any,
    date_to: Any,
    zone: str | None = None,
    lang: str = "zh",
    as_of: Any = None,
    evidence: pd.DataFrame | None = None,
    outside_supply: gpd.GeoDataFrame | None = None,
    supply: Any = None,
    history: dict[str, Any] | None = None,
) -> ReportData:
    """Compute every figure of the report for a period (and optionally one sub-park).

    Parameters
    ----------
    parcels_assessed : GeoDataFrame
        Parcels with the assessment columns (:data:`ASSESSED_COLUMNS`) and ``area_m2``.
    ledger : DataFrame
        The disposal ledger in the standard's names; validated against all the parcels
        (a problem raises :class:`~landuse.errors.SchemaError` naming row, field and fix).
    date_from, date_to : date-like
        The period, both days included.
    zone : str, optional
        Restrict to the parcels of this sub-park (``zone`` field).
    lang : {"zh", "en"}
        Language of the words (figures are the same).
    as_of : date-like, optional
        The assessment date shown in the report (default ``date_to``).
    evidence : DataFrame, optional
        Evidence per parcel from :func:`landuse.evidence.run_evidence` (parcel standard §4
        plus ``evidence_reasons``/``evidence_warnings``). Adds the table
        ``records_disagree`` (记录与影像不符 / records vs imagery), its count to the figures
        and the headline, and a note. Parcel ids not in ``parcels_assessed`` raise
        :class:`~landuse.errors.SchemaError` naming them.
    outside_supply : GeoDataFrame, optional
        Buildings on no supplied parcel (``outside_supply`` of the evidence run): adds the
        table ``outside_supply`` with their area in m² and 亩 (whole-zone reports only).
    supply : SupplySummary, optional
        The land supply figures (:func:`landuse.supply.summary.summarise`, usually as of
        the period's end): adds the section "土地供应与储备 / Land supply and reserve"
        (:func:`landuse.report.supply.supply_section`).
    history : dict, optional
        From a store with the register's history: ``start`` and ``year_ago`` (the register
        at the period's start and a year before its end, assessed then; ``year_ago`` may be
        None) and ``changes`` (:func:`landuse.rules.changes.changes` over the period). Adds
        the tables ``lifecycle_compare`` (较年初, 同比), ``transitions`` and
        ``changed_parcels`` after the 五未 table (:mod:`landuse.report.history`).

    Returns
    -------
    ReportData
    """
    _report_args(lang, date_from, date_to, as_of)  # before the parcels are prepared
    parcels = prepare_parcels(parcels_assessed)
    if outside_supply is not None and evidence is None:
        raise SchemaError("outside_supply buildings come from an evidence run. Fix: give the "
                          "evidence too (--evidence FILE).")
    ev_checked = None if evidence is None else check_evidence(evidence, parcels["parcel_id"])
    part = report_part(parcels, ledger_ids(ledger), zone,
                       columns=[c for c in ENTERPRISE_COLUMNS if c in parcels_assessed])
    return report_from_part(part, ledger, date_from, date_to, zone=zone, lang=lang,
                            as_of=as_of, evidence=ev_checked, outside_supply=outside_supply,
                            supply=supply, history=history, parcels=parcels)


def ledger_ids(ledger: pd.DataFrame) -> set[str]:
    """The parcel ids the ledger names (read as its check reads them): the parcels a
    zone's :class:`~landuse.report.partial.ReportPart` keeps whatever they are."""
    led, _ = normalise_ledger(ledger)
    return {str(p) for p in led["parcel_id"].dropna()} if "parcel_id" in led else set()


def _report_args(lang: str, date_from: Any, date_to: Any, as_of: Any) -> tuple[Period, Any]:
    """The report's language checked, its period, and its assessment date (the period's
    end unless ``as_of`` is given); a bad one raises :class:`SchemaError` with the fix."""
    if lang not in T:
        raise SchemaError(f"lang '{lang}' is not supported. Fix: use zh or en.")
    period = Period.parse(date_from, date_to)
    return period, parse_day(as_of, "--as-of") if as_of is not None else period.end


def _zone_rows(frame: Any, zone: str | None) -> Any:
    return frame if zone is None else frame[frame["zone"].astype(str) == zone]


def report_from_part(
    part: ReportPart,
    ledger: pd.DataFrame,
    date_from: Any,
    date_to: Any,
    zone: str | None = None,
    lang: str = "zh",
    as_of: Any = None,
    evidence: pd.DataFrame | None = None,
    outside_supply: gpd.GeoDataFrame | None = None,
    supply: Any = None,
    history: dict[str, Any] | None = None,
    parcels: gpd.GeoDataFrame | None = None,
) -> ReportData:
    """The report of the parcels summed up in ``part`` (:func:`~landuse.report.partial.
    report_part`, of ``zone`` when given, or the zones' parts merged).

    Arguments as :func:`build_report`; ``evidence`` checked already; ``parcels`` (all the
    prepared parcels) only with ``evidence`` or ``history``, which read every parcel.
    """
    period, asof = _report_args(lang, date_from, date_to, as_of)
    if (evidence is not None or history is not None) and parcels is None:
        raise SchemaError("evidence and history read every parcel. Fix: build the report "
                          "from the whole assessment (build_report).")
    led = _checked_ledger(ledger, part.listed)
    if zone is not None and zone not in part.zones:
        raise SchemaError(
            f"zone '{zone}' has no parcels. Fix: use one of: "
            f"{', '.join(sorted(part.zones)) or '(none)'}."
        )
    listed = _zone_rows(part.listed, zone)
    effective = led.effective if zone is None else \
        led.effective[led.effective["parcel_id"].isin(set(listed["parcel_id"]))]
    if parcels is not None:
        parcels = _zone_rows(parcels, zone)

    events, excluded = period.split(effective)
    state = case_state(effective, as_of=period.end)
    proc = procedure_state(effective, as_of=period.end)
    disposals = count_disposals(events)
    zomb = zombies_cleared(events, listed)
    zombie_pids, zombies = zomb.parcels, zomb.names
    completed, started = auctions(events, effective, period.end)
    idle_ids = set(listed.loc[idle_mask(listed), "parcel_id"])
    state_area, idle_by_stage = open_cases(period.until_end(effective), state,
                                           listed.set_index("parcel_id")["area_mu"],
                                           idle_ids)
    figures = reclamation_figures(disposals, zombies, new_enterprises(events), completed,
                                  started, idle_by_stage, len(events), len(excluded))
    figures["expected_output_wan"] = expected_output_wan(events)
    figures["recovery_lead"] = recovery_lead(listed, proc)
    figures["enforcement"] = enforcement_counts(listed)
    notes = ledger_notes(disposals, excluded, effective, led.warnings, period, lang)
    notes[-1:-1] = [n for n in (zombie_note(zomb, lang), not_idle_note(idle_by_stage, lang))
                    if n]
    zone_label = zone or T[lang]["whole_zone"]
    paragraph = work_paragraph(lang, period.label(lang), zone_label, figures)

    counted = disposals.counted
    by_mu, by_n = figures["reclaimed_by_method_mu"], figures["reclaimed_by_method_parcels"]
    tables = [
        method_table(counted, by_mu, by_n, events, zombie_pids, lang),
        stage_table(events, state, state_area, lang),
        zone_table(listed, counted, events, zomb.holder_of, lang, totals=part.by_zone),
        month_table(counted, events, period, lang),
        idle_table(listed, state, proc, lang),
        procedure_table(listed, state, proc, lang),
        low_efficiency_table(listed, lang),
        lifecycle_rows(part.lifecycle, lang),
        mujun_rows(part.mujun, lang),
        enterprise_rows(enterprise_part(part.rated), lang),
        *flag_tables(listed, lang),
    ]
    if history is not None and parcels is not None:
        from landuse.report.history import history_tables

        pos = [t.key for t in tables].index("lifecycle") + 1
        tables[pos:pos] = history_tables(parcels, history["start"], history.get("year_ago"),
                                         history["changes"], lang)
    ind_table, indicators, ind_notes = indicator_section(part.indicators, lang)
    tables += [ind_table, events_table(events, lang)]
    notes += ind_notes
    if any(c not in part.columns for c in ENTERPRISE_COLUMNS):
        notes.append(T[lang]["mujun_ent_missing"])
    charts = report_charts(by_mu, {t.key: t for t in tables}, lang)

    if evidence is not None and parcels is not None:  # records vs imagery: after the flag
        sec = evidence_section(parcels, evidence, outside_supply, lang, zone)  # tables,
        pos = [t.key for t in tables].index("flagged_parcels") + 1  # before the last note
        tables[pos:pos] = sec.tables
        figures.update(sec.figures)
        paragraph += ("" if lang == "zh" else " ") + sec.headline + \
            ("。" if lang == "zh" else ".")
        notes[-1:-1] = sec.notes

    sections = []
    if supply is not None:
        from landuse.report.supply import supply_section

        sections.append(supply_section(supply, lang))
    frame, not_drawn = _overview(part, listed, set(state.index), set(counted["parcel_id"]))
    if part.parcels > MAP_ALL_PARCELS:
        notes.append(T[lang]["map_listed_only"].format(n=not_drawn, limit=MAP_ALL_PARCELS))
    return ReportData(
        lang=lang, title=T[lang]["title"], period_from=period.start, period_to=period.end,
        as_of=asof, zone=zone, period_label=period.label(lang), zone_label=zone_label,
        figures=figures, headline=paragraph, tables=tables, charts=charts,
        indicators=indicators, notes=notes, map_frame=frame,
        meta={"parcels": part.parcels, "ledger_rows": led.rows,
              "ledger_source": source_name(led.source)},
        sections=sections, map_not_drawn=not_drawn,
    )


def _overview(part: ReportPart, listed: gpd.GeoDataFrame, case: set[str],
              disposed: set[str]) -> tuple[gpd.GeoDataFrame, int]:
    """The overview map's parcels and how many are counted but not drawn: every parcel up
    to :data:`~landuse.report.partial.MAP_ALL_PARCELS` (in the frame's order), above only
    the parcels of a category, by id."""
    idle = set(listed.loc[idle_mask(listed), "parcel_id"])
    low = set(listed.loc[low_mask(listed), "parcel_id"])
    if part.map_rows is not None:
        return map_frame_of(part.map_rows, idle, low, case, disposed), 0
    frame = map_frame_of(listed, idle, low, case, disposed)
    if part.parcels <= MAP_ALL_PARCELS:
        return frame, 0
    drawn = frame[frame["cat"] != "other"]
    drawn = drawn.sort_values("parcel_id", kind="stable", key=lambda s: s.astype(str))
    return drawn.reset_index(drop=True), part.parcels - len(drawn)
