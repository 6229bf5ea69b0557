"""``landuse ledger add|list|show``: the append-only disposal ledger of a GeoPackage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pandas as pd

from landuse.cli._common import handle_errors
from landuse.errors import SchemaError
from landuse.units import M2_PER_MU

__all__ = ["ledger"]


def _read(file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file's parcels and its ledger rows (normalised, in recorded order)."""
    import pyogrio

    from landuse.io import read_ledger, read_parcels
    from landuse.ledger import normalise_ledger

    parcels = read_parcels(file)
    layers = [n for n, _ in pyogrio.list_layers(file)]
    if "ledger" not in layers:
        return parcels, pd.DataFrame(columns=["row", "event_id", "parcel_id", "event_date",
                                              "stage", "method", "area_m2", "corrects"])
    led, _ = normalise_ledger(read_ledger(file))
    return parcels, led


def _fmt_row(r: Any, lang_sep: str = "  ") -> str:
    from landuse.report.text import label

    area = "" if pd.isna(r.area_m2) else f"{r.area_m2 / M2_PER_MU:.1f}亩"
    parts = [str(r.event_id), r.event_date.date().isoformat() if not pd.isna(r.event_date)
             else "?", str(r.parcel_id), f"{label('stage', r.stage)}({r.stage})"]
    if not pd.isna(r.method) and r.method:
        parts.append(f"{label('method', r.method)}({r.method})")
    if area:
        parts.append(area)
    if getattr(r, "new_holder", None) and not pd.isna(r.new_holder):
        parts.append(f"新入驻 {r.new_holder}")
    if getattr(r, "corrects", None) and not pd.isna(r.corrects):
        parts.append(f"更正 corrects {r.corrects}")
    return lang_sep.join(parts)


@click.group()
def ledger() -> None:
    """The disposal ledger (台账): append events, list them, show a parcel's case.

    \b
    Rows are never edited or deleted: to correct an event, add a new one with
    --corrects EVENT_ID. Every write validates first and is atomic.
    """


@ledger.command("add")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--from-csv", "from_csv", type=click.Path(dir_okay=False, exists=True),
              help="Add many events from a CSV/XLSX in the standard's names or Chinese aliases.")
@click.option("--event-id", help="Event id (事件编号); default PARCEL-DATE-n.")
@click.option("--parcel", "parcel_id", help="Parcel id (宗地号).")
@click.option("--date", "event_date", help="Event date (YYYY-MM-DD).")
@click.option("--stage", help="Stage code or Chinese word, e.g. disposed / 已盘活.")
@click.option("--method", help="Method code or Chinese word, e.g. 先租后让.")
@click.option("--area-mu", type=float, help="Area brought back, in 亩.")
@click.option("--area-m2", type=float, help="Area brought back, in m².")
@click.option("--new-holder", help="New enterprise (新入驻企业).")
@click.option("--expected-output", "expected_output_wan", type=float,
              help="Expected new output (万元).")
@click.option("--zombie-cleared/--no-zombie-cleared", default=None,
              help="The former holder was a zombie enterprise.")
@click.option("--corrects", help="Event id this event corrects.")
@click.option("--note", help="Note (备注).")
@click.option("--actor", help="Who records the event (stored with each row).")
@handle_errors
def add(file: str, from_csv: str | None, event_id: str | None, parcel_id: str | None,
        event_date: str | None, stage: str | None, method: str | None, area_mu: float | None,
        area_m2: float | None, new_holder: str | None, expected_output_wan: float | None,
        zombie_cleared: bool | None, corrects: str | None, note: str | None,
        actor: str | None) -> None:
    """Validate and append events to FILE's ledger (all or nothing).

    \b
    Examples:
      landuse ledger add park.gpkg --parcel P01 --date 2023-03-15 --stage 已盘活 \\
          --method 先租后让 --area-mu 40 --new-holder 甲公司 --zombie-cleared
      landuse ledger add park.gpkg --from-csv events.csv --actor 王工
    """
    from landuse.io import read_ledger
    from landuse.ledger import append_events

    if from_csv:
        single = [event_id, parcel_id, event_date, stage, method, area_mu, area_m2,
                  new_holder, corrects, note]
        if any(v is not None for v in single):
            raise SchemaError("--from-csv cannot be combined with single-event options. "
                              "Fix: put every event in the CSV.")
        events = read_ledger(from_csv)
    else:
        if not (parcel_id and event_date and stage):
            raise SchemaError("an event needs --parcel, --date and --stage. Fix: give them, "
                              "or use --from-csv FILE.")
        if area_mu is not None and area_m2 is not None:
            raise SchemaError("give --area-mu or --area-m2, not both.")
        area = area_m2 if area_m2 is not None else (
            area_mu * M2_PER_MU if area_mu is not None else None)
        if event_id is None:
            _, existing = _read(file)
            n = int((existing["parcel_id"] == parcel_id).sum()) + 1 if len(existing) else 1
            event_id = f"{parcel_id}-{event_date}-{n}"
        events = pd.DataFrame([{
            "event_id": event_id, "parcel_id": parcel_id, "event_date": event_date,
            "stage": stage, "method": method, "area_m2": area, "new_holder": new_holder,
            "expected_output_wan": expected_output_wan, "zombie_cleared": zombie_cleared,
            "corrects": corrects, "note": note,
        }])
    n = append_events(Path(file), events, actor=actor)
    click.echo(f"已追加 appended {n} event(s) to {file} (ledger)")


@ledger.command("list")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--parcel", "parcel_id", help="Only this parcel.")
@click.option("--from", "date_from", help="From this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Up to this date (YYYY-MM-DD).")
@click.option("--all", "all_rows", is_flag=True,
              help="Every stored row, corrections and corrected rows included.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def list_(file: str, parcel_id: str | None, date_from: str | None, date_to: str | None,
          all_rows: bool, as_json: bool) -> None:
    """List the effective events (corrections applied) of FILE's ledger.

    \b
    Example:
      landuse ledger list park.gpkg --from 2023-01-01 --to 2023-10-31
    """
    from landuse.ledger import apply_corrections, parse_date, rows

    _, led = _read(file)
    ev = led if all_rows else apply_corrections(led)
    if parcel_id:
        ev = ev[ev["parcel_id"] == parcel_id]
    if date_from:
        ev = ev[ev["event_date"] >= parse_date(date_from)]
    if date_to:
        ev = ev[ev["event_date"] <= parse_date(date_to)]
    if as_json:
        recs = json.loads(ev.drop(columns=["row"], errors="ignore").to_json(
            orient="records", date_format="iso", force_ascii=False))
        for r in recs:
            if r.get("event_date"):
                r["event_date"] = r["event_date"][:10]
        click.echo(json.dumps(recs, ensure_ascii=False, indent=2))
        return
    for r in rows(ev):
        click.echo(_fmt_row(r))
    click.echo(f"({len(ev)} events 条事件)")




@ledger.command("show")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.argument("parcel")
@click.option("--as-of", "as_of", help="State as of this date (default: all events).")
@handle_errors
def show(file: str, parcel: str, as_of: str | None) -> None:
    """Show PARCEL's case: its current stage and every event (corrections marked).

    \b
    Example:
      landuse ledger show park.gpkg P07
    """
    from landuse.ledger import apply_corrections, case_state, parse_date, rows
    from landuse.report.text import label

    parcels, led = _read(file)
    if parcel not in set(parcels["parcel_id"].astype(str)):
        raise SchemaError(f"{file}: parcel '{parcel}' is not in the parcels layer. "
                          "Fix: check the parcel id (宗地号).")
    eff = apply_corrections(led)
    state = case_state(eff[eff["parcel_id"] == parcel],
                       as_of=parse_date(as_of) if as_of else None)
    click.echo(f"宗地 parcel {parcel}")
    if not len(state):
        click.echo("  无处置事件 no ledger events")
        return
    s = state.iloc[0]
    click.echo(f"  当前阶段 stage: {label('stage', s['stage'])} ({s['stage']}) since "
               f"{s['stage_date'].date()}")
    if not pd.isna(s["method"]):
        click.echo(f"  处置方式 method: {label('method', s['method'])} ({s['method']})")
    if not pd.isna(s["disposed_area_m2"]):
        click.echo(f"  盘活面积 area brought back: {s['disposed_area_m2'] / M2_PER_MU:.1f} 亩")
    if not pd.isna(s["new_holder"]):
        click.echo(f"  新入驻企业 new holder: {s['new_holder']}")
    click.echo("  事件 events (recorded order; superseded rows marked ×):")
    superseded = set(led["corrects"].dropna())
    for r in rows(led[led["parcel_id"] == parcel]):
        mark = "×" if r.event_id in superseded else " "
        click.echo(f"   {mark} {_fmt_row(r)}")
