"""The report's tables from the ledger: 盘活 by method, stage, sub-park, month; the events.

Each builder is pure: it takes the counted facts (:mod:`landuse.report.reclamation`) and
returns one :class:`~landuse.report.model.Table` in the report's language.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from landuse.ledger import rows as iter_rows
from landuse.report.cells import idle_mask, low_mask, mu, r1, text, truthy
from landuse.report.model import Table
from landuse.report.period import Period
from landuse.report.reclamation import new_enterprises
from landuse.report.sums import Tally, exact_sum, tally
from landuse.report.text import T, label
from landuse.standard import get_standard

__all__ = [
    "events_table",
    "method_table",
    "month_table",
    "stage_table",
    "zone_part",
    "zone_table",
]


def method_table(counted: pd.DataFrame, by_method_mu: dict[str, float],
                 by_method_n: dict[str, int], events: pd.DataFrame,
                 zombie_parcels: list[str], lang: str) -> Table:
    """盘活 by method: parcels, 亩, zombies cleared and new enterprises; a total row.

    Parameters
    ----------
    counted : DataFrame
        :attr:`~landuse.report.reclamation.Disposals.counted`.
    by_method_mu, by_method_n : dict
        From :func:`~landuse.report.reclamation.reclaimed_by_method`.
    events : DataFrame
        Effective events in the period.
    zombie_parcels : list of str
        Parcels with a ``zombie_cleared`` event in the period.
    """
    h = T[lang]
    zombie_set = set(zombie_parcels)
    rows: list[list[Any]] = []
    for key, area in by_method_mu.items():
        sel = counted["method"].isna() if key == "not_recorded" else counted["method"] == key
        mpids = set(counted.loc[sel, "parcel_id"])
        nh = events[events["parcel_id"].isin(mpids)]["new_holder"].dropna().nunique()
        rows.append([label("method", None if key == "not_recorded" else key, lang),
                     by_method_n[key], area, len(mpids & zombie_set), int(nh)])
    rows.append([h["total"], len(counted), mu(exact_sum(counted["area_m2"])),
                 sum(r[3] for r in rows), sum(r[4] for r in rows)])
    return Table("by_method", h["t_by_method"],
                 ["method", "parcels", "area_mu", "zombies_cleared", "new_enterprises"],
                 [h["c_method"], h["c_parcels"], h["c_area_mu"], h["c_zombies"],
                  h["c_new_ent"]], rows)


def stage_table(events: pd.DataFrame, state: pd.DataFrame, state_area: dict[str, float],
                lang: str) -> Table:
    """Every case stage: events in the period, parcels and 亩 at the period's end.

    ``state`` is :func:`landuse.ledger.case_state` at the end; ``state_area`` the 亩 of
    each case (:func:`~landuse.report.reclamation.open_cases`).
    """
    h = T[lang]
    rows: list[list[Any]] = []
    for s in get_standard().codes["stage"]:
        pids = list(state.index[state["stage"] == s])
        rows.append([label("stage", s, lang), int((events["stage"] == s).sum()), len(pids),
                     r1(exact_sum([state_area[p] for p in pids]))])
    return Table("by_stage", h["t_by_stage"],
                 ["stage", "events_in_period", "parcels_at_end", "area_mu_at_end"],
                 [h["c_stage"], h["c_events"], h["c_stage_parcels"], h["c_stage_area"]], rows)


def zone_part(parcels: pd.DataFrame) -> dict[Any, Tally]:
    """The sub-park table's part of ``parcels``: parcels and exact 亩 per ``zone`` (None:
    no sub-park)."""
    return tally(parcels["zone"], {"area_mu": parcels["area_mu"]})


def zone_table(parcels: pd.DataFrame, counted: pd.DataFrame, events: pd.DataFrame,
               zombie_holder: dict[str, str], lang: str,
               totals: dict[Any, Tally] | None = None) -> Table:
    """Per sub-park: parcels, idle, low-efficiency, 盘活, zombies, new enterprises; a total.

    Parcels without a ``zone`` are grouped under "no sub-park". ``zombie_holder`` maps
    each parcel with a zombie event to its zombie enterprise
    (:attr:`~landuse.report.reclamation.Zombies.holder_of`): a sub-park counts the
    distinct enterprises of its parcels, so two parcels of one zombie count once.
    ``totals`` (:func:`zone_part` of every parcel, merged) gives each sub-park's parcels
    and 亩; then ``parcels`` need only hold the idle and low-efficiency parcels and those
    the ledger names (default: ``parcels`` are all of them).
    """
    h = T[lang]

    def key(z: Any) -> str:
        return h["no_zone"] if z is None or pd.isna(z) else str(z)

    whole: dict[str, Tally] = {}
    for z, t in (zone_part(parcels) if totals is None else totals).items():
        whole[key(z)] = whole[key(z)] + t if key(z) in whole else t
    zkey = parcels["zone"].map(key)
    idle, low = idle_mask(parcels), low_mask(parcels)
    counted_zone = counted["parcel_id"].map(dict(zip(parcels["parcel_id"], zkey, strict=True)))
    rows: list[list[Any]] = []
    for z in sorted(whole):
        sel = zkey == z
        zp = set(parcels.loc[sel, "parcel_id"])
        cz = counted[counted_zone == z]
        rows.append([z, whole[z].n, r1(whole[z].value("area_mu")),
                     int((sel & idle).sum()), r1(exact_sum(parcels.loc[sel & idle, "area_mu"])),
                     int((sel & low).sum()), r1(exact_sum(parcels.loc[sel & low, "area_mu"])),
                     len(cz), mu(exact_sum(cz["area_m2"])),
                     len({n for p, n in zombie_holder.items() if p in zp}),
                     int(events[events["parcel_id"].isin(zp)]["new_holder"].dropna().nunique())])
    rows.append([h["total"], *[
        r1(sum(r[i] for r in rows)) if isinstance(rows[0][i], float) else
        sum(r[i] for r in rows) for i in range(1, 9)
    ], len(set(zombie_holder.values())), len(new_enterprises(events))])
    return Table("by_zone", h["t_by_zone"],
                 ["zone", "parcels", "area_mu", "idle_parcels", "idle_mu", "low_parcels",
                  "low_mu", "reclaimed_parcels", "reclaimed_mu", "zombies_cleared",
                  "new_enterprises"],
                 [h["c_zone"], h["c_parcels_all"], h["c_area_all"], h["c_idle_n"],
                  h["c_idle_mu"], h["c_low_n"], h["c_low_mu"], h["c_reclaimed_n"],
                  h["c_reclaimed"], h["c_zombies"], h["c_new_ent"]], rows)


def month_table(counted: pd.DataFrame, events: pd.DataFrame, period: Period,
                lang: str) -> Table:
    """Per calendar month of the period: events, parcels and 亩 brought back; a total."""
    h = T[lang]
    cm = counted["event_date"].dt.to_period("M") if len(counted) else pd.Series(dtype=object)
    em = events["event_date"].dt.to_period("M")
    rows: list[list[Any]] = []
    for mon in period.months():
        sel = cm == mon
        mlabel = f"{mon.year}年{mon.month}月" if lang == "zh" else f"{mon.year}-{mon.month:02d}"
        rows.append([mlabel, int((em == mon).sum()), int(sel.sum()),
                     mu(exact_sum(counted.loc[sel, "area_m2"])) if len(counted) else 0.0])
    rows.append([h["total"], sum(r[1] for r in rows), sum(r[2] for r in rows),
                 mu(exact_sum(counted["area_m2"]))])
    return Table("by_month", h["t_by_month"],
                 ["month", "events", "reclaimed_parcels", "reclaimed_mu"],
                 [h["c_month"], h["c_events"], h["c_reclaimed_n"], h["c_reclaimed"]], rows)


def events_table(events: pd.DataFrame, lang: str) -> Table:
    """The effective events of the period, in date order (a corrected event by its correction)."""
    h = T[lang]
    rows = [[r.effective_event_id if r.corrections else r.event_id,
             r.event_date.date().isoformat(), r.parcel_id, label("stage", r.stage, lang),
             label("method", r.method, lang) if not pd.isna(r.method) else "—",
             None if pd.isna(r.area_m2) else mu(r.area_m2), text(r.new_holder),
             h["yes"] if truthy(r.zombie_cleared) else h["no"], text(r.note)]
            for r in iter_rows(events)]
    return Table("events", h["t_events"],
                 ["event_id", "event_date", "parcel_id", "stage", "method", "area_mu",
                  "new_holder", "zombie_cleared", "note"],
                 [h["c_event"], h["c_date"], h["c_parcel"], h["c_stage"], h["c_method"],
                  h["c_area_mu"], h["c_new_holder"], h["c_zombie"], h["c_note"]], rows)
