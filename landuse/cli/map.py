"""``landuse map``: an interactive HTML map of the assessed parcels (offline by default)."""

from __future__ import annotations

import os

import click

from landuse.cli._common import handle_errors, overwrite_opt

__all__ = ["map_cmd"]


@click.command("map")
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", help="Assess first, as of this date (YYYY-MM-DD). "
              "Without it INPUT must already hold the assessment columns.")
@click.option("--rules", type=click.Path(dir_okay=False), help="Ruleset file for --as-of.")
@click.option("--layer", help="Layer of a multi-layer file (default: parcels).")
@click.option("--ledger", type=click.Path(dir_okay=False),
              help="Disposal ledger (GeoPackage layer 'ledger', CSV or XLSX). Default: the "
              "'ledger' layer of INPUT when it has one.")
@click.option("--buildings", type=click.Path(dir_okay=False),
              help="Building footprints, drawn as a layer.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of legend, popups and controls.")
@click.option("--basemap", type=click.Choice(["none", "osm", "tianditu-vec", "tianditu-img",
                                               "amap"]),
              default="none", show_default=True,
              help="Background map. 'none' works offline; tianditu-* need the environment "
              "variable TIANDITU_KEY; amap shifts the drawn parcels to GCJ-02 (display only).")
@click.option("--tiled/--single-file", "tiled", default=None,
              help="Force vector tiles beside the page, or one self-contained page "
              "(default: tiles above 5 000 parcels).")
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False),
              help="Evidence written by 'landuse evidence' (.gpkg, .parquet, .geojson): adds "
              "the imagery-evidence layer (影像证据), before/after layers with two dates, and "
              "buildings outside supply.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write, e.g. maps/zone.html.")
@overwrite_opt
@handle_errors
def map_cmd(input: str, as_of: str | None, rules: str | None, layer: str | None,
            ledger: str | None, buildings: str | None, lang: str, basemap: str,
            tiled: bool | None, evidence_path: str | None, output: str,
            overwrite: bool) -> None:
    """Write an interactive map of idle, low-efficiency and reclaimed parcels.

    The page opens from disk with no network (all scripts are inside it). Large registers
    get a folder NAME_files/ beside the page: keep the two together.

    \b
    Examples:
      landuse map parcels.gpkg --as-of 2023-10-31 -o maps/zone.html
      TIANDITU_KEY=... landuse map parcels.gpkg --as-of 2023-10-31 \\
          --basemap tianditu-img -o maps/img.html
      landuse map assessment.gpkg --lang en -o maps/zone_en.html --overwrite
      landuse map parcels.gpkg --as-of 2023-10-31 --evidence evidence.gpkg \\
          -o maps/zone_evidence.html
    """
    import pyogrio

    from landuse.cli._common import read_buildings, read_for_assessment
    from landuse.io import read_ledger, read_parcels
    from landuse.webmap import make_map, write_map

    key = os.environ.get("TIANDITU_KEY") if basemap.startswith("tianditu") else None
    bld = read_buildings(buildings)
    click.echo(f"读取 reading {input}" + (f", 评估 assessing as of {as_of}" if as_of else ""),
               err=True)
    if as_of:
        parcels = read_for_assessment(input, layer, as_of, rules, lang, bld)
    else:
        parcels = read_parcels(input, layer=layer)
    led = None
    if ledger:
        led = read_ledger(ledger)
    elif input.lower().endswith(".gpkg") and "ledger" in [
        n for n, _ in pyogrio.list_layers(input)
    ]:
        led = read_ledger(input)
    ev, outside = (None, None)
    if evidence_path:
        from landuse.io.evidence import read_evidence

        ev, outside = read_evidence(evidence_path)
    click.echo(f"生成地图 building the map of {len(parcels):,} parcels", err=True)
    wm = make_map(parcels, led, buildings=bld, lang=lang, basemap=basemap,
                  tianditu_key=key, tiled=tiled, evidence=ev, outside_supply=outside)
    for path in write_map(wm, output, overwrite=overwrite, progress=True):
        click.echo(f"地图 map -> {path}")
