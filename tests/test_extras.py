"""Optional parts of landuse (extras): which part brings a module, which parts a command
lacks, and the error that says what to install. The requirement lines are written by hand
in the form an installed wheel's metadata has them."""

from __future__ import annotations

import pytest

from landuse.errors import LanduseError, MissingPartError
from landuse.extras import extra_of_module, missing_module_error, missing_parts, require_parts

REQUIRES = [
    "geopandas>=1.0",
    "rasterio>=1.3; extra == 'all'",
    "rasterio>=1.3; extra == 'raster'",
    "exactextract>=0.2; extra == 'raster'",
    "python-docx>=1.1; extra == 'report'",
    "mapbox-vector-tile>=2.0; extra == 'map'",
    "dask[distributed]>=2024.1; extra == 'cluster'",
]


@pytest.mark.parametrize(("module", "part"), [
    ("rasterio", "raster"), ("rasterio.features", "raster"), ("exactextract", "raster"),
    ("mapbox_vector_tile", "map"), ("distributed", "cluster"), ("dask", "cluster"),
    ("docx", None), ("geopandas", None), ("nothing_of_ours", None),
])
def test_the_part_of_a_module(module: str, part: str | None) -> None:
    assert extra_of_module(module, REQUIRES) == part


def test_missing_parts_lists_the_packages_not_installed() -> None:
    have = {"rasterio", "python-docx"}
    assert missing_parts(["raster", "report"], REQUIRES, have.__contains__) == {
        "raster": ["exactextract"]}
    assert missing_parts(["report"], REQUIRES, have.__contains__) == {}
    assert missing_parts(["raster"], [], have.__contains__) == {}  # no metadata: no check


def test_require_parts_names_packages_and_the_command() -> None:
    with pytest.raises(MissingPartError) as e:
        require_parts(["raster", "map"], "landuse demo", REQUIRES, {"rasterio"}.__contains__)
    text = str(e.value)
    assert "exactextract" in text and "mapbox-vector-tile" in text
    assert "pip install 'landuse[raster,map]'" in text
    assert isinstance(e.value, LanduseError) and isinstance(e.value, ImportError)
    require_parts(["raster"], "landuse demo", REQUIRES, lambda name: True)  # nothing missing


def test_a_module_of_no_part_asks_for_the_whole_install() -> None:
    err = missing_module_error(ModuleNotFoundError("No module named 'docx'", name="docx"),
                               REQUIRES)
    assert "docx" in str(err) and "pip install 'landuse[all]'" in str(err)
    err = missing_module_error(ModuleNotFoundError("x", name="rasterio.features"), REQUIRES)
    assert "'rasterio'" in str(err) and "pip install 'landuse[raster]'" in str(err)


def test_the_cli_names_a_missing_package_and_reports_a_missing_module_of_ours_as_a_bug(
) -> None:
    """Through the CLI's error handling: a third-party module that is not installed is
    exit code 2 with the install command (in the Chinese sentence too); a module of
    landuse's own that cannot be imported is a bug (exit code 3)."""
    import click
    from click.testing import CliRunner

    from landuse.cli._common import handle_errors

    def command(name: str) -> click.Command:
        @click.command()
        @handle_errors
        def run() -> None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return run

    r = CliRunner().invoke(command("rasterio"), [])
    assert r.exit_code == 2, r.output
    assert "安装命令：pip install 'landuse[" in r.output and "bug" not in r.output
    r = CliRunner().invoke(command("landuse.nothing_here"), [])
    assert r.exit_code == 3 and "This is a bug in landuse" in r.output, r.output
