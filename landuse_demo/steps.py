"""The main job on the bundled sample park, as run by ``landuse demo`` / ``make demo``.

Each step takes the demo context (paths) and returns the files it wrote; later features
add their step to ``STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["PARTS", "STEPS", "DemoContext", "sample_park_path", "sample_supply_path"]


_HERE = Path(__file__).resolve().parent
_SAMPLE_CANDIDATES = (
    _HERE / "data" / "sample_park.gpkg",  # package data of an installed wheel
    _HERE.parent / "data" / "geo" / "sample_park.gpkg",  # a checkout
)


def sample_supply_path() -> Path:
    """Path of the sample park's supply records, found as :func:`sample_park_path` finds
    the park (``sample_park_supply.gpkg`` beside it)."""
    return sample_park_path().with_name("sample_park_supply.gpkg")


def sample_park_path() -> Path:
    """Path of the bundled sample park.

    Returns
    -------
    Path
        ``landuse_demo/data/sample_park.gpkg`` in an installed wheel, else
        ``data/geo/sample_park.gpkg`` of the checkout (the wheel's copy is made from it);
        the checkout's path when neither exists, so the caller's error names it.
    """
    for cand in _SAMPLE_CANDIDATES:
        if cand.is_file():
            return cand
    return _SAMPLE_CANDIDATES[-1]


@dataclass
class DemoContext:
    """Where the demo reads and writes."""

    sample: Path
    out_dir: Path
    maps_dir: Path
    as_of: str = "2023-10-31"
    period: tuple[str, str] = ("2023-01-01", "2023-10-31")
    written: list[Path] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def parcels(self) -> gpd.GeoDataFrame:
        """The sample's parcels, read once (each step gets its own copy)."""
        if "parcels" not in self._memo:
            from landuse.io import read_parcels

            self._memo["parcels"] = read_parcels(self.sample)
        return self._memo["parcels"].copy()

    def ledger(self) -> pd.DataFrame:
        """The sample's ledger, read once (each step gets its own copy)."""
        if "ledger" not in self._memo:
            from landuse.io import read_ledger

            self._memo["ledger"] = read_ledger(self.sample, layer="ledger")
        return self._memo["ledger"].copy()

    def assessed(self, lang: str = "zh") -> gpd.GeoDataFrame:
        """The sample assessed as of :attr:`as_of` in ``lang``, computed once per language."""
        key = f"assessed_{lang}"
        if key not in self._memo:
            from landuse.rules import assess

            self._memo[key] = assess(self.parcels(), self.as_of, lang=lang)
        return self._memo[key].copy()


def _step_register(ctx: DemoContext) -> list[Path]:
    from landuse.core.area import add_areas
    from landuse.io import write_layer

    parcels = add_areas(ctx.parcels())
    return [write_layer(parcels, ctx.out_dir / "parcels.gpkg", "parcels", overwrite=True)]


def _step_validate(ctx: DemoContext) -> list[Path]:
    from landuse.core.validate import validate
    from landuse.io.problems import write_problems

    problems = validate(ctx.parcels())
    csv = write_problems(problems, ctx.out_dir / "validation.csv", str(ctx.sample), True)
    js = write_problems(problems, ctx.out_dir / "validation.json", str(ctx.sample), True)
    return [csv, js]


def _step_assess(ctx: DemoContext) -> list[Path]:
    from landuse.io.assessment import write_assessment

    assessed = ctx.assessed()
    return [
        write_assessment(assessed, ctx.out_dir / "assessment.xlsx", overwrite=True),
        write_assessment(assessed, ctx.out_dir / "assessment.gpkg", overwrite=True),
    ]


def _supply_records() -> Any:
    from landuse.io.supply import read_supply

    return read_supply(sample_supply_path())


def _supply_summary(ctx: DemoContext) -> Any:
    """The sample park's supply figures as of the period's end (None without the file)."""
    from landuse.io.supply import read_supply
    from landuse.supply import check_supply
    from landuse.supply.summary import summarise

    path = sample_supply_path()
    if not path.is_file():
        return None
    records = read_supply(path)
    parcels = ctx.assessed()
    check_supply(records, parcels["parcel_id"])
    return summarise(records, ctx.period[1], ledger=ctx.ledger(), parcels=parcels)


def _step_report(ctx: DemoContext) -> list[Path]:
    """The zh and en reports in every format; with the evidence step's ``evidence.gpkg``
    (it runs first) they include the records-vs-imagery list, and the HTML reports link
    every parcel id to the sample park's map written by the map step."""
    from landuse.io.evidence import read_evidence
    from landuse.report import FORMATS, build_report, map_href_for, write_report

    parcels = ctx.assessed()
    ledger = ctx.ledger()
    ev_path = ctx.out_dir / "evidence.gpkg"
    ev, outside = read_evidence(ev_path) if ev_path.exists() else (None, None)
    supply = _supply_summary(ctx)
    written = []
    for lang in ("zh", "en"):
        data = build_report(parcels, ledger, *ctx.period, lang=lang, as_of=ctx.as_of,
                            evidence=ev, outside_supply=outside, supply=supply)
        html_map = ctx.maps_dir / ("sample_park.html" if lang == "zh" else "sample_park_en.html")
        for suffix in FORMATS:
            path = ctx.out_dir / f"report_2023-01_2023-10_{lang}{suffix}"
            href = map_href_for(html_map, path) if suffix == ".html" and html_map.exists() \
                else None
            written.append(write_report(data, path, overwrite=True, map_href=href))
    return written


def _step_evidence(ctx: DemoContext) -> list[Path]:
    """Synthetic land cover (two dates) and footprints for the sample park, then evidence."""
    import pandas as pd

    from landuse.evidence import run_evidence
    from landuse.io import write_layer
    from landuse.io.evidence import write_evidence
    from landuse.io.write import atomic_path
    from landuse_demo.synthetic import (
        synthetic_buildings,
        synthetic_landcover,
        write_landcover,
    )

    parcels = ctx.parcels()
    before_date = (pd.Timestamp(ctx.as_of) - pd.DateOffset(years=2)).strftime("%Y-%m-%d")
    written: list[Path] = []
    rasters: dict[str, Path] = {}
    for name, date in (("before", before_date), ("after", ctx.as_of)):
        arr, transform = synthetic_landcover(parcels, as_of=date, design_as_of=ctx.as_of)
        target = ctx.out_dir / f"landcover_{date}.tif"
        with atomic_path(target, overwrite=True) as tmp:
            write_landcover(tmp, arr, transform, parcels.crs, date)
        rasters[name] = target
        written.append(target)
    buildings = synthetic_buildings(parcels)
    written.append(
        write_layer(buildings, ctx.out_dir / "buildings.gpkg", "buildings", overwrite=True)
    )
    res = run_evidence(
        parcels,
        raster=rasters["after"],
        before=rasters["before"],
        after=rasters["after"],
        buildings=buildings,
    )
    written.append(write_evidence(res, ctx.out_dir / "evidence.gpkg", overwrite=True))
    return written


def _step_map(ctx: DemoContext) -> list[Path]:
    """The zh and en maps; with the evidence step's ``evidence.gpkg`` (it runs first) they
    carry the imagery-evidence layer and the before/after view."""
    from landuse.io.evidence import read_evidence
    from landuse.webmap import make_map, write_map

    ledger = ctx.ledger()
    ev_path = ctx.out_dir / "evidence.gpkg"
    ev, outside = read_evidence(ev_path) if ev_path.exists() else (None, None)
    supply = _supply_summary(ctx)
    records = None if supply is None else (_supply_records(), supply)
    out = []
    for lang in ("zh", "en"):
        wm = make_map(ctx.assessed(lang), ledger, lang=lang, evidence=ev,
                      outside_supply=outside, supply=records)
        name = "sample_park.html" if lang == "zh" else "sample_park_en.html"
        out += write_map(wm, ctx.maps_dir / name, overwrite=True)
    return out


def _step_store(ctx: DemoContext) -> list[Path]:
    import json
    import warnings

    with warnings.catch_warnings():  # starlette's notice about its httpx client
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from landuse.io.write import atomic_path
    from landuse.store import open_store
    from landuse_api.main import create_app
    from landuse_api.settings import Settings

    target = ctx.out_dir / "park.gpkg"
    with atomic_path(target, overwrite=True) as tmp:
        with open_store(tmp, create=True) as store:
            store.load(ctx.parcels(), ctx.ledger(),
                       actor="demo")
    answers: dict[str, object] = {}
    with open_store(target) as store:
        client = TestClient(create_app(Settings(store=str(target)), store=store))
        for name, url in (
            ("collections", "/collections"),
            ("items_first_5", "/collections/parcels/items?limit=5&skipGeometry=true"),
            ("search_FB-00", "/parcels/search?q=FB-00"),
            ("indicators", f"/indicators?as_of={ctx.as_of}"),
        ):
            answers[name] = client.get(url).json()
    out = ctx.out_dir / "api_answers.json"
    out.write_text(json.dumps(answers, ensure_ascii=False, indent=2), "utf-8")
    return [target, out]


PARTS: tuple[str, ...] = ("raster", "map", "api", "report")
"""The optional parts of landuse the steps use (evidence from rasters, the map, the API's
answers, the report); ``landuse demo`` checks they are installed before it starts."""

STEPS: list[tuple[str, Callable[[DemoContext], list[Path]]]] = [
    ("register: read and measure the sample park", _step_register),
    ("register: validate the sample park (problems report)", _step_validate),
    ("assess: idle land, 五未 stage, low efficiency, 亩均 class as of 2023-10-31", _step_assess),
    ("evidence: land cover, change and footprints vs the records", _step_evidence),
    ("map: interactive offline map of the sample park (zh, en)", _step_map),
    ("store + API: park.gpkg store of the sample park and sample API answers", _step_store),
    (
        "report: land report Jan–Oct 2023 with records vs imagery (zh, en; html xlsx docx md "
        "json)",
        _step_report,
    ),
]
