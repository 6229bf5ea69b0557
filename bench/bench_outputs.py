"""Benchmark: the client's peak memory while it writes a province's assessment, per format.

Run:  PYTHONPATH=. python bench/bench_outputs.py [--parcels 200000] [--zones 40]

``--parcels`` synthetic parcels in ``--zones`` development zones (bench/bench_cluster.py's
dataset maker) are assessed once on a local cluster of 2 workers, each task writing its
zone's GeoParquet part (as ``landuse assess DATASET --workers 2`` does). Then, for every
format ``assess -o`` writes, each in a fresh child process so its peak memory (``ru_maxrss``)
is its own:

* ``gathered``: the parts read into one frame, sorted, written (the client before);
* ``streamed``: the parts streamed into the output one group at a time (the client now,
  :func:`landuse.io.assessment.write_assessment_parts`);

and the same for an idle child that only imports what the writers import (``baseline``).
Seconds are wall clock of the write alone; report them with the load average (printed).

With ``--report``, the client of ``landuse report DATASET --ledger L --workers 2``: each
child starts its own 2-worker cluster, gathers the zones' parcels and writes the report:

* ``whole``: every column of the assessment with the geometry (the client of round 2);
* ``json``: the report's columns only, without geometry (round 3, .json/.md/.xlsx/.docx);
* ``html``: the report's columns with the geometry (round 3, .html: the overview map);
* ``parts_json``: each zone's report part (sums, listed and rated parcels) merged here,
  no geometry (now, for .json/.md/.xlsx/.docx, :class:`landuse.engine.ReportPartJob`);
* ``parts_html``: the same with the listed parcels' geometry (now, for .html);
* ``idle``: the same imports and a 2-worker cluster, no report (what every mode pays);
* ``received_slice`` / ``received_parts``: only what the client receives (the report's
  columns of every parcel, or the zones' parts merged), no report built.

``--dataset`` measures an existing dataset (read only) instead of writing one;
``--modes`` picks the modes. The report's bytes of ``json`` and ``parts_json`` are compared
and printed (``html`` draws every parcel on its map, ``parts_html`` above 20 000 parcels
the listed ones: their bytes differ by design).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2023-10-31"
FORMATS = (".csv", ".geojson", ".gpkg", ".parquet", ".xlsx")
REPORT_MODES = ("idle", "received_slice", "received_parts", "whole", "json", "html",
                "parts_json", "parts_html")


def _child(mode: str, parts_file: str, out: str) -> None:
    """Write the parts listed in ``parts_file`` to ``out`` (``mode``: gathered, streamed or
    baseline) and print the seconds and this process's peak memory as JSON."""
    import resource

    import geopandas as gpd

    from landuse.engine import sort_by_id
    from landuse.io.assessment import (
        _common_dtypes,
        _read_group,
        write_assessment,
        write_assessment_parts,
    )

    spec = json.loads(Path(parts_file).read_text(encoding="utf-8"))
    parts = [tuple(p) for p in spec["parts"]]
    t0 = time.perf_counter()
    if mode == "streamed":
        write_assessment_parts(parts, out, spec["attrs"], overwrite=True)
    elif mode == "pieces":  # .csv on 2 workers: pieces written side by side, joined here
        from landuse.engine import CsvPieceJob, Engine, piece_units
        from landuse.io.assessment import csv_plan, join_pieces

        plan = csv_plan(parts)
        folder = Path(out).parent / "pieces"
        folder.mkdir(parents=True, exist_ok=True)
        with Engine(workers=2) as eng:
            res = eng.run(CsvPieceJob(plan, str(folder)), piece_units(len(plan.groups)))
        join_pieces([r.written.path for r in res if r.written is not None], out,
                    overwrite=True)
    elif mode == "gathered":
        paths = [p[0] for p in parts]
        whole = _read_group(paths, _common_dtypes(paths))
        whole = gpd.GeoDataFrame(sort_by_id(whole), geometry=whole.geometry.name,
                                 crs=whole.crs)
        whole.attrs.update(spec["attrs"])
        write_assessment(whole, out, overwrite=True)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def _report_child(mode: str, dataset: str, out: str) -> None:
    """``landuse report`` on ``dataset`` with 2 workers as ``mode`` (whole, json or html):
    print the seconds and this process's peak memory as JSON."""
    import resource

    import pandas as pd

    from landuse.cli._common import AssessArgs, EngineArgs, ReadArgs
    from landuse.cli._province import assessed
    from landuse.report import build_report, write_report
    from landuse.report.build import REPORT_COLUMNS

    ids = [f"Z{(i * 3) % 40:04d}P{i * 13:07d}" for i in range(300)]
    ledger = pd.DataFrame({
        "event_id": [f"E{i:05d}" for i in range(300)], "parcel_id": ids,
        "event_date": [f"2023-{1 + i % 9:02d}-{1 + i % 27:02d}" for i in range(300)],
        "stage": ["disposed" if i % 3 else "investigating" for i in range(300)],
        "method": ["lease_then_transfer" if i % 3 else None for i in range(300)],
        "area_m2": [2000.0] * 300,
    })
    ledger["event_date"] = _not_before_supply(dataset, ledger)
    t0 = time.perf_counter()
    html = mode in ("html", "parts_html")
    sizes: dict[str, int] = {}
    if mode == "idle":  # the same imports and a 2-worker cluster, no report
        from landuse.engine import Engine

        with Engine(workers=2):
            pass
        print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1e3}))
        return
    if mode in ("received_parts", "received_slice"):  # what the client receives, no report
        from landuse.cli._province import report_parts
        from landuse.report.build import ledger_ids

        if mode == "received_parts":
            part, _ = report_parts(dataset, ReadArgs(), AssessArgs(as_of=AS_OF),
                                   EngineArgs(workers=2), ledger_ids(ledger), None, False)
            sizes = {"listed": len(part.listed), "rated": len(part.rated)}
        else:
            got, _ = assessed(dataset, ReadArgs(), AssessArgs(as_of=AS_OF),
                              EngineArgs(workers=2), columns=REPORT_COLUMNS, geometry=False)
            sizes = {"rows": len(got)}
        print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1e3, **sizes}))
        return
    if mode.startswith("parts_"):
        from landuse.cli._province import report_parts
        from landuse.report.build import ledger_ids, report_from_part

        part, _ = report_parts(dataset, ReadArgs(), AssessArgs(as_of=AS_OF),
                               EngineArgs(workers=2), ledger_ids(ledger), None, html)
        data = report_from_part(part, ledger, "2023-01-01", AS_OF)
        sizes = {"listed": len(part.listed), "rated": len(part.rated)}
    else:
        cols = None if mode == "whole" else REPORT_COLUMNS
        parcels, _ = assessed(dataset, ReadArgs(), AssessArgs(as_of=AS_OF),
                              EngineArgs(workers=2), columns=cols, geometry=mode != "json")
        data = build_report(parcels, ledger, "2023-01-01", AS_OF)
    path = write_report(data, Path(out).with_suffix(".html" if html else ".json"),
                        overwrite=True)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "out_mb": path.stat().st_size / 1e6,
                      "parcels": data.meta["parcels"], **sizes}))


def _not_before_supply(dataset: str, ledger: Any) -> Any:
    """The ledger's event dates, each moved to its parcel's supply date when before it
    (the ledger's check refuses an event before the supply; datasets differ in seeds)."""
    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.dataset as pds

    table = pds.dataset(dataset, format="parquet", partitioning="hive",
                        exclude_invalid_files=False, ignore_prefixes=[".", "_"]).to_table(
        columns=["parcel_id", "supply_date"],
        filter=pc.field("parcel_id").isin(list(ledger["parcel_id"])))
    supply = pd.Series(pd.to_datetime(table.column("supply_date").to_pandas()).to_numpy(),
                       index=table.column("parcel_id").to_pandas())
    day = pd.to_datetime(ledger["event_date"])
    floor = ledger["parcel_id"].map(supply)
    return day.where(floor.isna() | (day >= floor), floor).dt.strftime("%Y-%m-%d")


def _measure(mode: str, parts_file: Path, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    child = "_report_child" if mode in REPORT_MODES else "_child"
    code = (f"import sys; from bench.bench_outputs import {child}; "
            f"{child}(sys.argv[1], sys.argv[2], sys.argv[3])")
    r = subprocess.run([sys.executable, "-c", code, mode, str(parts_file), str(out)],
                       env=env, capture_output=True, text=True, check=False)
    if r.returncode:
        raise SystemExit(f"{mode}: the child failed:\n{r.stderr[-3000:]}")
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


def _write_parts(dataset: Path, folder: Path) -> tuple[list[tuple[str, str, str]], dict, int]:
    from landuse.engine import AssessJob, Engine, WriteJob, plan_units

    units = plan_units(dataset)
    with Engine(workers=2) as eng:
        results = eng.run(WriteJob(AssessJob(path=str(dataset), as_of=AS_OF), str(folder)),
                          units)
    written = [r.written for r in results if r.written is not None]
    return ([(w.path, w.first_id, w.last_id) for w in written], written[0].attrs,
            sum(w.rows for w in written))


def _report_table(args: argparse.Namespace, root: Path) -> None:
    """The report's client per mode (``--modes``), and whether the bytes agree."""
    from bench.bench_cluster import make_dataset

    ds = Path(args.dataset) if args.dataset else root / "ds"
    if not args.dataset:
        make_dataset(ds, args.parcels, args.zones)
    print(f"report: {args.dataset or f'{args.parcels} parcels in {args.zones} zones'}, "
          "2 workers")
    for mode in args.modes.split(","):
        r = _measure(mode, ds, root / f"r_{mode}")
        extra = "" if mode == "idle" else f"  {r}" if mode.startswith("received") else (
            f"  report {r['out_mb']:.1f} MB of {r['parcels']} parcels"
            + (f", parts: {r['listed']} listed rows, {r['rated']} rated rows"
               if "listed" in r else ""))
        print(f"{mode:10} client peak {r['peak_mb']:6.0f} MB  {r['seconds']:6.1f} s   "
              f"load {os.getloadavg()[0]:.2f}{extra}", flush=True)
    fa, fb = (root / f"r_{m}.json" for m in ("json", "parts_json"))
    if fa.exists() and fb.exists():
        print(f"json and parts_json: same bytes: {fa.read_bytes() == fb.read_bytes()}")


def main() -> None:
    """Measure and print the table."""
    from bench.bench_cluster import make_dataset

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=200_000)
    ap.add_argument("--zones", type=int, default=40)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--report", action="store_true", help="measure report's client instead")
    ap.add_argument("--dataset", help="with --report: an existing dataset (read only)")
    ap.add_argument("--modes", default="idle,whole,json,html,parts_json,parts_html",
                    help=f"with --report, some of: {', '.join(REPORT_MODES)}")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_outputs.") as tmp:
        root = Path(tmp)
        if args.report:
            _report_table(args, root)
            return
        make_dataset(root / "ds", args.parcels, args.zones)
        (root / "parts").mkdir()
        parts, attrs, rows = _write_parts(root / "ds", root / "parts")
        spec = root / "parts.json"
        spec.write_text(json.dumps({"parts": parts, "attrs": attrs}, ensure_ascii=False,
                                   default=str), encoding="utf-8")
        print(f"{rows} parcels in {len(parts)} zones; load average {os.getloadavg()}")
        base = _measure("baseline", spec, root / "none")
        print(f"{'format':10} {'gathered MB':>12} {'streamed MB':>12} {'gathered s':>11} "
              f"{'streamed s':>11}   (baseline child {base['peak_mb']:.0f} MB)")
        for suffix in args.formats.split(","):
            g = _measure("gathered", spec, root / f"g{suffix}")
            s = _measure("streamed", spec, root / f"s{suffix}")
            print(f"{suffix:10} {g['peak_mb']:12.0f} {s['peak_mb']:12.0f} {g['seconds']:11.1f} "
                  f"{s['seconds']:11.1f}   load {os.getloadavg()[0]:.2f}", flush=True)
            if suffix == ".csv":  # the CSV pieces made by 2 workers, joined by the client
                pc = _measure("pieces", spec, root / "pc" / "p.csv")
                same = (root / "pc" / "p.csv").read_bytes() == (root / "s.csv").read_bytes()
                print(f"{'.csv 2w':10} {'':12} {pc['peak_mb']:12.0f} {'':11} "
                      f"{pc['seconds']:11.1f}   load {os.getloadavg()[0]:.2f}  "
                      f"(pieces on 2 workers; same bytes: {same})", flush=True)


if __name__ == "__main__":
    main()
