"""The demo job of landuse, outside the library: ``landuse demo`` / ``make demo``.

- :mod:`~landuse_demo.steps`: the job's steps on the bundled sample park (register,
  validate, assess, evidence, map, store + API, report) and where they read and write.
- :mod:`~landuse_demo.synthetic`: deterministic synthetic land cover and building
  footprints for the sample park (the demo's evidence and the tests' rasters).

The sample park ships with this package (``landuse_demo/data/sample_park.gpkg`` in a
wheel; ``data/geo/sample_park.gpkg`` in a checkout). The library (``landuse``) never imports
this package.
"""

from __future__ import annotations

from landuse_demo.steps import PARTS, STEPS, DemoContext, sample_park_path

__all__ = ["PARTS", "STEPS", "DemoContext", "sample_park_path"]
