"""The main job on the bundled sample park, as run by ``landuse demo`` / ``make demo``.

Each step takes the demo context (paths) and returns the files it wrote; later features
add their step to ``STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["STEPS", "DemoContext", "sample_park_path"]


def sample_park_path() -> Path:
    """Path of the bundled sample park (``data/geo/sample_park.gpkg`` in a checkout)."""
    return Path(__file__).resolve().parent.parent / "data" / "geo" / "sample_park.gpkg"


@dataclass
class DemoContext:
    """Where the demo reads and writes."""

    sample: Path
    out_dir: Path
    maps_dir: Path
    as_of: str = "2023-10-31"
    period: tuple[str, str] = ("2023-01-01", "2023-10-31")
    written: list[Path] = field(default_factory=list)


def _step_register(ctx: DemoContext) -> list[Path]:
    from landuse.core.area import add_areas
    from landuse.io import read_parcels, write_layer

    parcels = add_areas(read_parcels(ctx.sample))
    return [write_layer(parcels, ctx.out_dir / "parcels.gpkg", "parcels", overwrite=True)]


def _step_validate(ctx: DemoContext) -> list[Path]:
    from landuse.cli.validate import write_report
    from landuse.core.validate import validate
    from landuse.io import read_parcels

    problems = validate(read_parcels(ctx.sample))
    csv = write_report(problems, ctx.out_dir / "validation.csv", str(ctx.sample), True)
    js = write_report(problems, ctx.out_dir / "validation.json", str(ctx.sample), True)
    return [csv, js]


STEPS: list[tuple[str, Callable[[DemoContext], list[Path]]]] = [
    ("register: read and measure the sample park", _step_register),
    ("register: validate the sample park (problems report)", _step_validate),
]
