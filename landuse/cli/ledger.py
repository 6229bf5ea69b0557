"""``landuse ledger add|list|show``: the append-only disposal ledger.

The ledger lives either in a plain GeoPackage register (its ``ledger`` layer, e.g. the
GIS office's file; written by :func:`landuse.io.ledger.append_events`, each row recording who
and when) or in a landuse store made by ``landuse load`` (a GeoPackage store, ``--store``,
or PostGIS, ``--database`` / ``LANDUSE_DATABASE_URL``; written by ``Store.append_events``,
audited). Both check new events with the same :func:`landuse.ledger.validate_events`.
A GeoPackage given as FILE is recognised as a store by its ``landuse_meta`` table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

from landuse.cli._common import date_option, handle_errors
from landuse.errors import DataSourceError, NotFoundError, SchemaError
from landuse.units import M2_PER_MU

__all__ = ["ledger"]

F = TypeVar("F", bound=Callable[..., Any])

_EMPTY = ["row", "event_id", "parcel_id", "event_date", "stage", "method", "area_m2", "corrects"]


@dataclass(frozen=True)
class Target:
    """Where the ledger is: a plain register file, or a store (file path or database URL)."""

    kind: str  # "register" | "store"
    where: str

    @property
    def label(self) -> str:
        if self.kind == "register":
            return f"plain register {self.where} (layer 'ledger')"
        from landuse.store import is_database_url

        if is_database_url(self.where):
            from landuse.store.postgis import safe_url

            return f"PostGIS store {safe_url(self.where)}"
        return f"landuse store {self.where} (GeoPackage store)"


def resolve_target(file: str | None, store: str | None, database: str | None) -> Target:
    """The one ledger FILE, --store or --database names (LANDUSE_DATABASE_URL when none)."""
    from landuse.store import is_store_file

    given = [x for x in (file, store, database) if x]
    if len(given) > 1:
        raise SchemaError("give one of FILE, --store and --database, not several.")
    if file:
        if not Path(file).exists():
            raise DataSourceError(f"{file}: file not found. Fix: check the path.")
        return Target("store" if is_store_file(file) else "register", file)
    if store:
        if not Path(store).exists():
            raise DataSourceError(f"{store}: store not found. Fix: make it with "
                                  f"'landuse load REGISTER --store {store}'.")
        if not is_store_file(store):
            raise SchemaError(
                f"{store}: is not a landuse store (it has no landuse_meta table): it is a plain "
                f"register. Fix: give it as FILE (landuse ledger ... {store}) to use its "
                "'ledger' layer, or make a store with 'landuse load'."
            )
        return Target("store", store)
    url = database or os.environ.get("LANDUSE_DATABASE_URL")
    if url:
        return Target("store", url)
    raise SchemaError("no ledger given. Fix: give FILE (a register or store GeoPackage), "
                      "--store STORE.gpkg or --database postgresql://... "
                      "(or set LANDUSE_DATABASE_URL).")


def target_options(func: F) -> F:
    """FILE (optional), --store and --database: where the ledger is."""
    func = click.option("--database", help="postgresql://... PostGIS store (default: "
                        "LANDUSE_DATABASE_URL when no FILE or --store is given).")(func)
    func = click.option("--store", "store_path", type=click.Path(dir_okay=False),
                        help="A landuse store made by 'landuse load' (GeoPackage).")(func)
    return click.argument("file", required=False, type=click.Path(dir_okay=False))(func)


@contextmanager
def _open(target: Target) -> Iterator[Any]:
    from landuse.store import open_store

    with open_store(target.where) as store:
        yield store


def _read_ledger(target: Target) -> pd.DataFrame:
    """The ledger rows (normalised, in recorded order)."""
    from landuse.ledger import normalise_ledger

    if target.kind == "store":
        with _open(target) as store:
            return normalise_ledger(store.ledger_frame())[0]
    import pyogrio

    from landuse.io import read_ledger

    if "ledger" not in [n for n, _ in pyogrio.list_layers(target.where)]:
        return pd.DataFrame(columns=_EMPTY)
    return normalise_ledger(read_ledger(target.where))[0]


def _check_parcel(target: Target, parcel: str) -> None:
    """SchemaError unless ``parcel`` is in the target's parcels."""
    if target.kind == "store":
        with _open(target) as store:
            try:
                store.get_parcel(parcel)
                return
            except NotFoundError:
                pass
    else:
        from landuse.io import read_parcels

        if parcel in set(read_parcels(target.where)["parcel_id"].astype(str)):
            return
    raise SchemaError(f"{target.label}: parcel '{parcel}' is not in the parcels layer. "
                      "Fix: check the parcel id (宗地号).")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


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
@target_options
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
@click.option("--holder", help="The holder the event concerns (原用地单位), e.g. the zombie "
              "enterprise cleared or the enterprise whose land is auctioned.")
@click.option("--fee", "fee_wan", type=float,
              help="Idle-land fee of a fee_levied (应缴) or fee_paid (已缴) event, in 万元.")
@click.option("--actor", help="Who records the events (stored with each row and, in a store, "
              "in the audit log). Default: the OS user.")
@handle_errors
def add(file: str | None, store_path: str | None, database: str | None, from_csv: str | None,
        event_id: str | None, parcel_id: str | None, event_date: str | None, stage: str | None,
        method: str | None, area_mu: float | None, area_m2: float | None,
        new_holder: str | None, expected_output_wan: float | None, zombie_cleared: bool | None,
        corrects: str | None, note: str | None, holder: str | None, fee_wan: float | None,
        actor: str | None) -> None:
    """Validate and append events to a ledger (all or nothing).

    The ledger is FILE (a plain GeoPackage register, or a store made by 'landuse load'),
    --store STORE.gpkg, or --database postgresql://... (default LANDUSE_DATABASE_URL).

    \b
    Examples:
      landuse ledger add park.gpkg --parcel P01 --date 2023-03-15 --stage 已盘活 \\
          --method 先租后让 --area-mu 40 --new-holder 甲公司 --zombie-cleared
      landuse ledger add park.gpkg --parcel P12 --date 2023-10-25 \\
          --stage 已下达征缴土地闲置费决定书 --fee 132
      landuse ledger add --store store.gpkg --from-csv events.csv --actor 王工
      landuse ledger add --database postgresql://u@host/db --parcel P01 \\
          --date 2023-03-15 --stage 正在调查清收
    """
    from landuse.io import read_ledger
    from landuse.io.ledger import append_events
    from landuse.ledger import LEDGER_FIELDS

    target = resolve_target(file, store_path, database)
    who = actor or _os_user()
    if from_csv:
        single = [event_id, parcel_id, event_date, stage, method, area_mu, area_m2,
                  new_holder, corrects, note, holder, fee_wan]
        if any(v is not None for v in single):
            raise SchemaError("--from-csv cannot be combined with single-event options. "
                              "Fix: put every event in the CSV.")
        events = read_ledger(from_csv)
        ignored = [str(c) for c in events.columns if c not in LEDGER_FIELDS]
        if ignored:
            click.echo(f"注意 note: {from_csv}: columns not in the ledger standard are not "
                       f"stored: {', '.join(ignored)}")
            events = events.drop(columns=ignored)
    else:
        if not (parcel_id and event_date and stage):
            raise SchemaError("an event needs --parcel, --date and --stage. Fix: give them, "
                              "or use --from-csv FILE.")
        if area_mu is not None and area_m2 is not None:
            raise SchemaError("give --area-mu or --area-m2, not both.")
        area = area_m2 if area_m2 is not None else (
            area_mu * M2_PER_MU if area_mu is not None else None)
        if event_id is None:
            existing = _read_ledger(target)
            n = int((existing["parcel_id"] == parcel_id).sum()) + 1 if len(existing) else 1
            event_id = f"{parcel_id}-{event_date}-{n}"
        events = pd.DataFrame([{
            "event_id": event_id, "parcel_id": parcel_id, "event_date": event_date,
            "stage": stage, "method": method, "area_m2": area, "new_holder": new_holder,
            "expected_output_wan": expected_output_wan, "zombie_cleared": zombie_cleared,
            "corrects": corrects, "note": note, "holder": holder, "fee_wan": fee_wan,
        }])
    if target.kind == "store":
        recs = [{str(k): v for k, v in r.items()} for r in events.to_dict("records")]
        with _open(target) as store:
            n = len(store.append_events([(r, None) for r in recs], actor=who))
        how = f"audited as {who}"
    else:
        n = append_events(Path(target.where), events, actor=who)
        how = f"recorded_by {who}"
    click.echo(f"已追加 appended {n} event(s) to {target.label} ({how})")


@ledger.command("list")
@target_options
@click.option("--parcel", "parcel_id", help="Only this parcel.")
@click.option("--from", "date_from", help="From this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Up to this date (YYYY-MM-DD).")
@click.option("--all", "all_rows", is_flag=True,
              help="Every stored row, corrections and corrected rows included.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def list_(file: str | None, store_path: str | None, database: str | None,
          parcel_id: str | None, date_from: str | None, date_to: str | None,
          all_rows: bool, as_json: bool) -> None:
    """List the effective events (corrections applied) of a ledger (FILE, --store, --database).

    \b
    Examples:
      landuse ledger list park.gpkg --from 2023-01-01 --to 2023-10-31
      landuse ledger list --store store.gpkg --parcel P07 --all
    """
    from landuse.core.values import parse_date
    from landuse.ledger import apply_corrections, rows

    led = _read_ledger(resolve_target(file, store_path, database))
    ev = led if all_rows else apply_corrections(led)
    ev = ev.sort_values("event_date", kind="stable")
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
@click.argument("args", nargs=-1, required=True, metavar="[FILE] PARCEL")
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="A landuse store made by 'landuse load' (GeoPackage).")
@click.option("--database", help="postgresql://... PostGIS store (default: "
              "LANDUSE_DATABASE_URL when no FILE or --store is given).")
@date_option("--as-of", "as_of", help="State as of this date, YYYY-MM-DD (default: all events).")
@handle_errors
def show(args: tuple[str, ...], store_path: str | None, database: str | None,
         as_of: str | None) -> None:
    """Show PARCEL's case: its current stage and every event (corrections marked).

    \b
    Examples:
      landuse ledger show park.gpkg P07
      landuse ledger show P07 --store store.gpkg
    """
    from landuse.core.values import parse_date
    from landuse.ledger import apply_corrections, case_state, rows
    from landuse.report.text import label

    if len(args) > 2:
        raise SchemaError("give [FILE] PARCEL: at most two arguments.")
    file, parcel = (None, args[0]) if len(args) == 1 else args
    target = resolve_target(file, store_path, database)
    _check_parcel(target, parcel)
    led = _read_ledger(target)
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
