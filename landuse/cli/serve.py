"""``landuse serve``: run the web service on a store."""

from __future__ import annotations

import os

import click

from landuse.cli._common import handle_errors


@click.command()
@click.argument("store", required=False, type=click.Path(dir_okay=False))
@click.option("--database", envvar="LANDUSE_DATABASE_URL",
              help="postgresql://... PostGIS store (or LANDUSE_DATABASE_URL).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--read-key/--open-reads", "read_key", default=None,
              help="Reads need an API key (default: open, or LANDUSE_READ_REQUIRES_KEY).")
@click.option("--pmtiles", "pmtiles", type=click.Path(dir_okay=False, exists=True),
              envvar="LANDUSE_PMTILES",
              help="Also serve this PMTiles archive (from 'landuse map DATASET --pmtiles') at "
              "/tiles/province.pmtiles, with range requests.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the store (and its one assessment).")
@handle_errors
def serve(store: str | None, database: str | None, host: str, port: int,
          read_key: bool | None, pmtiles: str | None, workers: int) -> None:
    """Serve STORE (a GeoPackage, default park.gpkg) or a PostGIS database over HTTP.

    \b
    Examples:
      landuse serve park.gpkg --port 8000      then open http://127.0.0.1:8000/docs
      landuse serve --database postgresql://user@host/landuse
      landuse serve park.gpkg --workers 2      two processes on one store

    Heavy requests (reports, indicators, assessments) are cached until a write and bounded
    by LANDUSE_HEAVY_MAX, LANDUSE_HEAVY_DEADLINE_S and LANDUSE_JOB_MIN_PARCELS; the
    assessment is made as the server starts (progress on stderr; LANDUSE_WARM=false skips).
    With --workers N, N processes answer on the same port; the store's assessment is made
    once per store version by whichever asks first, and a write through one process is seen
    by all (each response names its process in the header Landuse-Worker).
    """
    import uvicorn

    from landuse_api.main import create_app
    from landuse_api.settings import Settings

    overrides: dict[str, object] = {}
    if store:
        overrides["store"] = store
    if database:
        overrides["database_url"] = database
    if read_key is not None:
        overrides["read_requires_key"] = read_key
    if pmtiles:
        overrides["pmtiles"] = pmtiles
    settings = Settings(**overrides)  # type: ignore[arg-type]
    click.echo(f"serving {settings.target} on http://{host}:{port}/  (docs: /docs)"
               + (f" with {workers} processes" if workers > 1 else ""))
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
        return
    # the worker processes build the app from the environment (landuse_api.main:app)
    os.environ.update({f"LANDUSE_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
                       for k, v in overrides.items()})
    uvicorn.run("landuse_api.main:app", host=host, port=port, workers=workers,
                log_level="warning")
