"""Golden outputs of the sample park: what the library gives today for fixed inputs.

``python tests/golden/record.py`` rewrites the files beside this script; ``test_golden.py``
rebuilds the same outputs and compares them with the files. A change to a golden file is a
change of behaviour and is named in the commit that makes it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLE = ROOT / "data" / "geo" / "sample_park.gpkg"
AS_OF = "2023-10-31"
PERIOD = ("2023-01-01", "2023-10-31")

API_URLS = (
    ("collections", "/collections"),
    ("items_first_5", "/collections/parcels/items?limit=5"),
    ("items_filter",
     "/collections/parcels/items?limit=20&skipGeometry=true&filter=zone%3D'抚北工业园'"),
    ("ledger_items", "/collections/ledger/items?limit=10"),
    ("search", "/parcels/search?q=FB-00"),
    ("assessment_zh", f"/assessment?as_of={AS_OF}"),
    ("assessment_en", f"/assessment?as_of={AS_OF}&lang=en"),
    ("assessment_one", f"/assessment?as_of={AS_OF}&parcel_id=FB-001"),
    ("indicators", f"/indicators?as_of={AS_OF}"),
    ("report", f"/reports/reclamation?from={PERIOD[0]}&to={PERIOD[1]}&as_of={AS_OF}"),
)


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"


def outputs() -> dict[str, str]:
    """Every golden output, by file name, as text."""
    from landuse.io import read_ledger, read_parcels
    from landuse.io.assessment import write_assessment
    from landuse.report import build_report, write_report
    from landuse.rules import assess
    from landuse.webmap import make_map

    out: dict[str, str] = {}
    parcels = read_parcels(SAMPLE)
    ledger = read_ledger(SAMPLE)
    supply = _supply(parcels, ledger)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for lang in ("zh", "en"):
            assessed = assess(parcels, AS_OF, lang=lang)
            csv = write_assessment(assessed, t / f"assessment_{lang}.csv")
            out[f"assessment_{lang}.csv"] = csv.read_text("utf-8-sig")
            data = build_report(assessed, ledger, *PERIOD, lang=lang, as_of=AS_OF,
                                supply=supply)
            js = write_report(data, t / f"report_{lang}.json")
            out[f"report_{lang}.json"] = _json(json.loads(js.read_text("utf-8")))
            wm = make_map(assessed, ledger, lang=lang)
            out[f"map_{lang}.json"] = _json({"config": wm.config, "records": wm.records,
                                             "search_rows": wm.search_rows})
        out["api.json"] = _json(_api_answers(t))
    # the checkout's folder differs from machine to machine (a CI clone, a worktree)
    return {name: text.replace(str(ROOT), "<checkout>") for name, text in out.items()}


def _supply(parcels: Any, ledger: Any) -> Any:
    """The sample park's supply figures as of the period's end (the report's section)."""
    from landuse.io.supply import read_supply
    from landuse.supply.summary import summarise

    records = read_supply(SAMPLE.with_name("sample_park_supply.gpkg"))
    return summarise(records, PERIOD[1], ledger=ledger, parcels=parcels)


def _api_answers(tmp: Path) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from landuse.io import read_ledger, read_parcels
    from landuse.store import open_store
    from landuse_api.main import create_app
    from landuse_api.settings import Settings

    target = tmp / "park.gpkg"
    with open_store(target, create=True) as store:
        store.load(read_parcels(SAMPLE), read_ledger(SAMPLE, layer="ledger"), actor="golden")
    answers: dict[str, Any] = {}
    with open_store(target) as store:
        client = TestClient(create_app(Settings(store=str(target), as_of=AS_OF), store=store))
        for name, url in API_URLS:
            r = client.get(url)
            body: Any = r.json() if "json" in r.headers.get("content-type", "") else r.text
            answers[name] = {"status": r.status_code, "body": _scrub(body)}
    return answers


_VOLATILE = {"timeStamp", "recorded_at", "generated_at", "created_at", "store_version"}


def _scrub(obj: Any) -> Any:
    """Drop the values that change from run to run (write times)."""
    if isinstance(obj, dict):
        return {k: ("<volatile>" if k in _VOLATILE else _scrub(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    return obj


def main() -> int:
    for name, text in outputs().items():
        (HERE / name).write_text(text, "utf-8")
        print(f"wrote {HERE / name} ({len(text)} chars)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
