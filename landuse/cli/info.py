"""``landuse info``: what a file holds, in the standard's terms."""

from __future__ import annotations

import json
from pathlib import Path

import click

from landuse.cli._common import ReadArgs, handle_errors, read_options
from landuse.io import list_layers
from landuse.io.describe import describe_layer

__all__ = ["info"]


@click.command()
@click.argument("input", type=click.Path())
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@handle_errors
def info(
    input: str,
    read: ReadArgs,
    as_json: bool,
) -> None:
    """Show layers, CRS, counts, bounds, encoding and the fields recognised and not.

    \b
    Examples:
      landuse info data/geo/sample_park.gpkg
      landuse info 宗地.shp --encoding GBK
      landuse info parcels.topojson --assume-crs EPSG:4326 --json
    """
    layers = list_layers(input) if Path(input).suffix.lower() not in (".csv", ".xlsx") else []
    gdf = read.parcels(input)
    out = describe_layer(gdf, input)
    if layers:
        out["layers"] = [{"name": n, "geometry_type": g} for n, g in layers]
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"文件 file:        {out['file']} ({out['format']})")
    if layers:
        click.echo("图层 layers:      " + ", ".join(f"{n} ({g})" for n, g in layers))
    click.echo(f"图层 layer:       {out['layer']}")
    crs = f"{out['crs']} ({out['crs_name']})" if out["crs"] else "none 未声明 (use --assume-crs)"
    if out["crs_assumed"]:
        crs += " [assumed via --assume-crs]"
    click.echo(f"坐标系 CRS:       {crs}")
    click.echo(f"宗地数 parcels:   {out['parcels']}")
    click.echo(
        "几何 geometries:  " + ", ".join(f"{k} {v}" for k, v in out["geometry_types"].items())
    )
    click.echo(f"范围 bounds:      {out['bounds']}")
    if out["encoding"]:
        click.echo(f"编码 encoding:    {out['encoding']} ({out['encoding_source']})")
    click.echo(f"识别字段 recognised ({len(out['recognised'])}):")
    for src, name in out["recognised"].items():
        unit = out["units_converted"].get(name)
        click.echo(f"  {src} -> {name}" + (f"  [{unit}]" if unit else ""))
    click.echo(
        f"未识别字段 not recognised, kept ({len(out['unrecognised'])}): "
        + ", ".join(out["unrecognised"])
    )
    if out["truncated_headers"]:
        click.echo("截断表头 cut headers: " + ", ".join(out["truncated_headers"]))
    for name, u in out["units_inferred"].items():
        click.echo(f"面积单位推断 unit inferred: {u['header']} -> {name} = {u['unit']} "
                   f"(from the parcels' areas; override with --unit {name}=...)")
    for name, u in out["units_given"].items():
        click.echo(f"面积单位指定 unit given: {name} = {u} (--unit)")
    for header, name in out["units_unknown"].items():
        click.echo(f"面积单位不明 unit unknown: {header} (cut from {name}) kept as is, {name} "
                   f"missing; give --unit {name}=亩 (or m2, 公顷)")
    if out["unreadable_cells"] or out["file_problems"]:
        click.echo(
            f"注意 note: {out['unreadable_cells']} unreadable cells, {out['file_problems']} "
            f"file problems: run 'landuse validate {input}'"
        )
    if out["attributes"]:
        a = out["attributes"]
        click.echo(
            f"属性表 attributes: {a['file']}: {a['matched']} parcels matched, "
            f"{len(a['parcels_without_attributes'])} parcels without a row, "
            f"{len(a['attribute_ids_without_parcel'])} rows without a parcel"
        )
