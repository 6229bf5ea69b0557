"""Shared pieces of the CLI: error translation and common options."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

import click

from landuse.errors import LanduseError, OutputExistsError

if TYPE_CHECKING:
    import geopandas as gpd

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "EXIT_ERRORS",
    "EXIT_INPUT",
    "AssessArgs",
    "ReadArgs",
    "assess_options",
    "handle_errors",
    "overwrite_opt",
    "read_buildings",
    "read_for_assessment",
    "read_options",
]

EXIT_ERRORS = 1
"""Exit code when the input was read but has errors (``validate``)."""
EXIT_INPUT = 2
"""Exit code when the input cannot be used (file missing, unreadable, bad options)."""


def handle_errors(func: F) -> F:
    """Turn library errors into a one-line message on stderr and exit code 2.

    Branches on exception type, never on message text. An unexpected error is reported
    in one line too (set ``LANDUSE_DEBUG=1`` for the traceback).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OutputExistsError as e:
            click.secho(f"错误 error: {e}", fg="red", err=True)
            sys.exit(EXIT_INPUT)
        except LanduseError as e:
            click.secho(f"错误 error: {e}", fg="red", err=True)
            sys.exit(EXIT_INPUT)
        except MemoryError:
            click.secho(
                "错误 error: out of memory while reading the input. Fix: split the layer or "
                "use a machine with more memory.",
                fg="red",
                err=True,
            )
            sys.exit(EXIT_INPUT)
        except OSError as e:
            click.secho(f"错误 error: {e}", fg="red", err=True)
            sys.exit(EXIT_INPUT)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:
            if os.environ.get("LANDUSE_DEBUG"):
                raise
            click.secho(
                f"错误 error: unexpected {type(e).__name__}: {e}. This is a bug in landuse; "
                "please report it with the command (LANDUSE_DEBUG=1 shows the traceback).",
                fg="red",
                err=True,
            )
            sys.exit(3)

    return wrapper  # type: ignore[return-value]


overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace an existing output file.")


@dataclass(frozen=True)
class ReadArgs:
    """The options of :func:`read_options`, passed to a command as ``read``."""

    layer: str | None = None
    encoding: str | None = None
    attributes: str | None = None
    assume_crs: str | None = None
    id_column: str | None = None

    def parcels(self, input: str) -> gpd.GeoDataFrame:
        """Read INPUT's parcels with these options (:func:`landuse.io.read_parcels`)."""
        from landuse.io import read_parcels

        return read_parcels(input, layer=self.layer, encoding=self.encoding,
                            attributes=self.attributes, assume_crs=self.assume_crs,
                            id_column=self.id_column)


def _collect(func: F, cls: type, name: str) -> F:
    """Wrap ``func`` so that the keyword arguments named by ``cls``'s fields arrive as one
    ``cls`` instance in the keyword argument ``name``."""
    keys = [f.name for f in fields(cls)]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs[name] = cls(**{k: kwargs.pop(k) for k in keys})
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def read_options(func: F) -> F:
    """Options every command that reads a parcel layer shares; the command gets them as
    one keyword argument ``read`` (:class:`ReadArgs`)."""
    opts = [
        click.option(
            "--layer", help="Layer of a multi-layer file (default: parcels or the first)."
        ),
        click.option(
            "--encoding",
            help="Attribute encoding of a shapefile, e.g. GBK or UTF-8 (default: .cpg, the "
            "DBF language byte, else UTF-8 then GB18030).",
        ),
        click.option(
            "--attributes",
            type=click.Path(dir_okay=False),
            help="CSV/XLSX attribute table joined onto the parcels by parcel id.",
        ),
        click.option(
            "--assume-crs",
            help="CRS for a file that declares none, e.g. EPSG:4490 or EPSG:4527.",
        ),
        click.option(
            "--id-column",
            help="Source column holding the parcel id when its header is not a known alias.",
        ),
    ]
    func = _collect(func, ReadArgs, "read")
    for opt in reversed(opts):
        func = opt(func)
    return func


# -- assessment: read, assess ----------------------------------------------------------------


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    import datetime as dt
    import re

    if value is None:
        return None
    try:
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(dt.date.fromisoformat(value))
    except ValueError:
        ok = False
    if not ok:
        raise click.BadParameter(
            f"'{value}' is not a date. Fix: write it as YYYY-MM-DD, e.g. 2023-10-31.",
            param_hint="--as-of",
        )
    return value


def read_buildings(path: str | None) -> gpd.GeoDataFrame | None:
    """Building footprints from ``path`` (None when no path): :func:`landuse.io.buildings.
    read_buildings`, the reader of every command that takes ``--buildings``."""
    from landuse.io.buildings import read_buildings as read

    return read(path)


def read_for_assessment(
    input: str,
    layer: str | None,
    as_of: str,
    rules: str | None,
    lang: str,
    buildings: str | gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Read INPUT's parcels and assess them as of ``as_of`` (``assess``, ``summary``,
    ``map --as-of``); ``buildings`` is a path or footprints already read."""
    from landuse.io import read_parcels
    from landuse.rules import assess as run
    from landuse.rules import load_ruleset

    ruleset = load_ruleset(rules)
    parcels = read_parcels(input, layer=layer)
    bld = read_buildings(buildings) if isinstance(buildings, str) else buildings
    return run(parcels, as_of, ruleset=ruleset, lang=lang, buildings=bld)


@dataclass(frozen=True)
class AssessArgs:
    """The options of :func:`assess_options`, passed to a command as ``assessing``."""

    as_of: str
    rules: str | None = None
    lang: str = "zh"
    layer: str | None = None
    buildings: str | None = None

    def assessed(self, input: str) -> gpd.GeoDataFrame:
        """INPUT's parcels, assessed with these options."""
        return read_for_assessment(input, self.layer, self.as_of, self.rules, self.lang,
                                   self.buildings)


def assess_options(func: F) -> F:
    """--as-of (required), --rules, --lang, --layer, --buildings; the command gets them as
    one keyword argument ``assessing`` (:class:`AssessArgs`)."""
    opts = [
        click.option("--as-of", "as_of", required=True, callback=_check_date,
                     help="Assessment date 评估基准日, YYYY-MM-DD."),
        click.option("--rules", type=click.Path(dir_okay=False),
                     help="A zone's ruleset file (TOML), merged over the national default."),
        click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                     show_default=True, help="Language of the reasons."),
        click.option("--layer", help="Layer of a multi-layer file (default: parcels)."),
        click.option("--buildings", type=click.Path(dir_okay=False),
                     help="Building footprints (same CRS) for the outside_supply flag."),
    ]
    func = _collect(func, AssessArgs, "assessing")
    for opt in reversed(opts):
        func = opt(func)
    return func
