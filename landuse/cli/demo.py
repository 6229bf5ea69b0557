"""``landuse demo``: the main job on the bundled sample park."""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import handle_errors
from landuse.errors import DataSourceError
from landuse_demo import PARTS, STEPS, DemoContext, sample_park_path


@click.command()
@click.option(
    "--out",
    "out_dir",
    default="out/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for reports and tables.",
)
@click.option(
    "--maps",
    "maps_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder for HTML maps.  [default: OUT/maps]",
)
@handle_errors
def demo(out_dir: str, maps_dir: str | None) -> None:
    """Run the main job on the bundled sample park and say where the outputs are.

    Reports, tables and the store go to OUT, the HTML maps to OUT/maps (or --maps).

    \b
    Examples:
      landuse demo --out D                       everything under D/
      landuse demo --out out/demo --maps maps    as 'make demo' does
    """
    from landuse.extras import require_parts

    require_parts(PARTS, "landuse demo")
    sample = sample_park_path()
    if not sample.exists():
        raise DataSourceError(
            f"{sample}: the sample park is missing. Fix: run "
            "'python data/geo/make_sample_park.py' in a checkout of landuse."
        )
    maps = Path(maps_dir) if maps_dir is not None else Path(out_dir) / "maps"
    ctx = DemoContext(sample=sample, out_dir=Path(out_dir), maps_dir=maps)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    ctx.maps_dir.mkdir(parents=True, exist_ok=True)
    for i, (title, step) in enumerate(STEPS, 1):
        click.echo(f"[{i}/{len(STEPS)}] {title}")
        for path in step(ctx):
            ctx.written.append(path)
            click.echo(f"      -> {path}")
    click.echo("示例完成 demo done. 输出 outputs:")
    for path in ctx.written:
        click.echo(f"  {path.resolve()}")
