"""``landuse info``: what a file holds, in the standard's terms."""

from __future__ import annotations

import json

import click

from landuse.cli._common import handle_errors
from landuse.io import read_parcels


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("--layer", help="Layer of a multi-layer file (default: parcels or the first).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@handle_errors
def info(input: str, layer: str | None, as_json: bool) -> None:
    """Show layer, CRS, counts, bounds and the fields recognised and not.

    \b
    Example:
      landuse info data/geo/sample_park.gpkg
    """
    gdf = read_parcels(input, layer=layer)
    meta = gdf.attrs.get("landuse", {})
    out = {
        "file": input,
        "layer": meta.get("layer"),
        "crs": gdf.crs.to_string() if gdf.crs else None,
        "parcels": len(gdf),
        "bounds": [float(v) for v in gdf.total_bounds] if len(gdf) else None,
        "recognised": meta.get("recognised", {}),
        "unrecognised": meta.get("unrecognised", []),
    }
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"文件 file:        {out['file']}")
    click.echo(f"图层 layer:       {out['layer']}")
    click.echo(f"坐标系 CRS:       {out['crs']}")
    click.echo(f"宗地数 parcels:   {out['parcels']}")
    click.echo(f"范围 bounds:      {out['bounds']}")
    click.echo(f"识别字段 recognised ({len(out['recognised'])}):")
    for src, name in out["recognised"].items():
        click.echo(f"  {src} -> {name}")
    click.echo(
        f"未识别字段 not recognised ({len(out['unrecognised'])}): " + ", ".join(out["unrecognised"])
    )
