"""Copy the map's browser packages from ``node_modules/`` into the package data.

Run by ``make assets`` after ``npm ci``. For each npm package the map uses it copies, into
``landuse/webmap/static/vendor/<package>/`` (same relative paths as in the package):

* the scripts and style sheets listed in ``landuse.webmap.assets`` (``LIB_JS``, ``LIB_CSS``,
  leaflet-measure's files for every map language, Leaflet's marker images),
* every image those style sheets reference,
* the package's ``package.json`` (its version, checked against ``package-lock.json`` by the
  tests) and its licence file (``LICENSE*``; leaflet.vectorgrid has none and keeps its licence
  in ``README.md``, which is copied instead).

The vendor folder is rebuilt from scratch, so files the map no longer uses disappear.

Usage: python scripts/vendor_assets.py [--node-modules node_modules]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landuse.webmap.assets import VENDOR, css_references, required_files  # noqa: E402

LICENCE_IN_README = {"leaflet.vectorgrid"}

LICENCE_FROM_REPOSITORY = {"pmtiles": ROOT / "scripts" / "licences" / "pmtiles-LICENSE"}
"""npm packages that ship no licence file: their repository's LICENSE, committed here
verbatim (protomaps/PMTiles), is shipped as ``LICENSE``."""

BUNDLED = {"pmtiles": ("fflate",)}
"""Packages whose dist file bundles other npm packages: those packages' licences ship beside
it as ``LICENSE.<package>``."""


def files_to_copy(node_modules: Path) -> list[str]:
    """Relative paths (``<package>/...``) of every file to ship."""
    rels = set(required_files())
    for rel in list(rels):
        if rel.endswith(".css"):
            css = node_modules / rel
            for ref in css_references(css):
                target = (css.parent / ref).resolve()
                if target.is_file():
                    rels.add(target.relative_to(node_modules.resolve()).as_posix())
    for pkg in sorted({r.split("/")[0] for r in rels}):
        d = node_modules / pkg
        rels.add(f"{pkg}/package.json")
        licences = sorted(p.name for p in d.iterdir()
                          if p.name.upper().startswith(("LICENSE", "LICENCE")))
        if pkg in LICENCE_IN_README:
            licences.append("README.md")
        if pkg in LICENCE_FROM_REPOSITORY:
            licences.append("LICENSE")
        if not licences:
            raise SystemExit(f"{d}: no licence file found; add it to LICENCE_IN_README or "
                             "ship the licence another way.")
        rels.update(f"{pkg}/{name}" for name in licences)
    return sorted(rels)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    args = ap.parse_args(argv)
    nm: Path = args.node_modules
    missing = [r for r in required_files() if not (nm / r).is_file()]
    if missing:
        print(f"{nm}: missing {', '.join(missing)}. Fix: run 'npm ci' first "
              "(make assets does both).", file=sys.stderr)
        return 1
    rels = files_to_copy(nm)
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for rel in rels:
        dst = VENDOR / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        pkg, name = rel.split("/")[0], rel.split("/", 1)[1]
        if pkg in LICENCE_FROM_REPOSITORY and name == "LICENSE":
            shutil.copyfile(LICENCE_FROM_REPOSITORY[pkg], dst)
        else:
            shutil.copyfile(nm / rel, dst)
    for pkg, inner in BUNDLED.items():
        for dep in inner:
            shutil.copyfile(nm / dep / "LICENSE", VENDOR / pkg / f"LICENSE.{dep}")
    versions = {pkg: json.loads((VENDOR / pkg / "package.json").read_text("utf-8"))["version"]
                for pkg in sorted({r.split("/")[0] for r in rels})}
    size = sum((VENDOR / r).stat().st_size for r in rels)
    print(f"vendored {len(rels)} files ({size / 1024:.0f} KiB) into "
          f"{VENDOR.relative_to(ROOT)}: "
          + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
