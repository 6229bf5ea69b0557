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

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2023-10-31"
FORMATS = (".csv", ".geojson", ".gpkg", ".parquet", ".xlsx")


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


def _measure(mode: str, parts_file: Path, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    code = ("import sys; from bench.bench_outputs import _child; "
            "_child(sys.argv[1], sys.argv[2], sys.argv[3])")
    r = subprocess.run([sys.executable, "-c", code, mode, str(parts_file), str(out)],
                       env=env, capture_output=True, text=True, check=True)
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


def main() -> None:
    """Measure and print the table."""
    from bench.bench_cluster import make_dataset

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=200_000)
    ap.add_argument("--zones", type=int, default=40)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_outputs.") as tmp:
        root = Path(tmp)
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


if __name__ == "__main__":
    main()
