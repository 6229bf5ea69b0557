"""Shared pieces of the CLI: error translation and the option groups commands share.

An option group is a decorator that adds a set of options to a command with the same
names, help, parsing and checks everywhere, and hands them to the command as one value:

* :func:`read_options` (``--layer --encoding --attributes --assume-crs --id-column``): how
  INPUT's parcels are read, as ``read`` (:class:`ReadArgs`);
* :func:`assess_options` (``--as-of --rules --lang --buildings --industry-edition``): how
  they are assessed, as ``assessing`` (:class:`AssessArgs`); every command that assesses uses it;
* :func:`output_options` (``-o/--output --overwrite``): where the result goes, refusing an
  existing file without ``--overwrite`` before any work is done.

Values are checked while the command line is parsed, so a bad value gives the same message
and exit code (2) in every command: a date that is not ``YYYY-MM-DD`` or not plausible, a
ruleset file with an error (its file, line and key), an unreadable buildings file.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from landuse.errors import LanduseError, OutputExistsError

if TYPE_CHECKING:
    import geopandas as gpd

    from landuse.rules import Ruleset

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "EXIT_ERRORS",
    "EXIT_INPUT",
    "FIRST_DATE",
    "AssessArgs",
    "EngineArgs",
    "ReadArgs",
    "assess_options",
    "check_date",
    "check_outputs",
    "date_option",
    "engine_options",
    "handle_errors",
    "is_store_input",
    "known_at_option",
    "output_options",
    "overwrite_opt",
    "read_buildings",
    "read_ledger_for",
    "read_options",
    "store_options",
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
            if isinstance(e, ModuleNotFoundError) and not (e.name or "").startswith("landuse"):
                from landuse.extras import missing_module_error  # a package not installed

                click.secho(f"错误 error: {missing_module_error(e)}", fg="red", err=True)
                sys.exit(EXIT_INPUT)
            click.secho(
                f"错误 error: unexpected {type(e).__name__}: {e}. This is a bug in landuse; "
                "please report it with the command (LANDUSE_DEBUG=1 shows the traceback).",
                fg="red",
                err=True,
            )
            sys.exit(3)

    return wrapper  # type: ignore[return-value]


overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace an existing output file.")


def _collect(func: F, cls: type, name: str) -> F:
    """Wrap ``func`` so that the keyword arguments named by ``cls``'s fields arrive as one
    ``cls`` instance in the keyword argument ``name``."""
    keys = [f.name for f in fields(cls)]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs[name] = cls(**{k: kwargs.pop(k) for k in keys})
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _apply(func: F, opts: list[Callable[[Any], Any]]) -> F:
    """Apply click option decorators so that ``--help`` lists them in ``opts``' order."""
    out: Any = func
    for opt in reversed(opts):
        out = opt(out)
    return out


# -- input: how INPUT's parcels are read -------------------------------------------------------


@dataclass(frozen=True)
class ReadArgs:
    """The options of :func:`read_options`, passed to a command as ``read``."""

    layer: str | None = None
    encoding: str | None = None
    attributes: str | None = None
    assume_crs: str | None = None
    id_column: str | None = None
    unit: tuple[str, ...] = ()
    """``FIELD=UNIT`` items of ``--unit``."""
    partition: tuple[str, ...] = ()
    """``KEY=VALUE`` items of ``--partition`` (a partitioned dataset's partitions to read)."""
    bbox: tuple[float, float, float, float] | None = None
    """``--bbox``: only the parcels meeting this box (a partitioned dataset)."""

    def where(self) -> dict[str, list[str]]:
        """``--partition`` as partition column -> values (a repeated key means either)."""
        out: dict[str, list[str]] = {}
        for item in self.partition:
            key, _, value = item.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
        return out

    def parcels(self, input: str, as_of: str | None = None,
                known_at: str | None = None) -> gpd.GeoDataFrame:
        """Read INPUT's parcels with these options (:func:`landuse.io.read_parcels`).

        INPUT may be a store (a GeoPackage made by ``landuse load`` or a ``postgresql://``
        URL): then its register as it stood on ``as_of`` (valid time; default: the current
        register) as recorded by ``known_at`` (record time; default now) is read
        (:meth:`landuse.store.Store.parcels_frame`). ``known_at`` needs a store."""
        from landuse.errors import SchemaError
        from landuse.io import read_parcels
        from landuse.io.units import parse_unit_overrides

        if is_store_input(input):
            from landuse.store import open_store

            with open_store(input) as store:
                if as_of is None and known_at is None:
                    return store.parcels_frame()
                return store.parcels_frame(as_of=as_of, known_at=known_at)
        if known_at is not None:
            raise SchemaError(f"--known-at {known_at}: {input} is a register file, not a "
                              "store; it holds no record of when things were known. Fix: "
                              "load it with 'landuse load' and read the store, or leave "
                              "--known-at out.")
        return read_parcels(input, layer=self.layer, encoding=self.encoding,
                            attributes=self.attributes, assume_crs=self.assume_crs,
                            id_column=self.id_column, units=parse_unit_overrides(self.unit),
                            where=self.where() or None, bbox=self.bbox)


def _partition_callback(ctx: click.Context, param: click.Parameter,
                        value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        key, eq, val = item.partition("=")
        if not eq or not key.strip() or not val.strip():
            raise click.BadParameter(f"'{item}' is not KEY=VALUE. Fix: e.g. --partition "
                                     "zone=化工园.", ctx=ctx, param=param)
    return value


def _bbox_callback(ctx: click.Context, param: click.Parameter,
                   value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not MINX,MINY,MAXX,MAXY. Fix: four numbers in "
                                 "the dataset's CRS, e.g. 39500000,3100000,39510000,3110000.",
                                 ctx=ctx, param=param) from None
    if minx > maxx or miny > maxy:
        raise click.BadParameter(f"'{value}': the minimum exceeds the maximum. Fix: give "
                                 "MINX,MINY,MAXX,MAXY.", ctx=ctx, param=param)
    return minx, miny, maxx, maxy


def is_store_input(input: str) -> bool:
    """True when INPUT is a store: a ``postgresql://`` URL or a GeoPackage made by
    ``landuse load`` (read through the store: its current or past register, its ledger)."""
    from landuse.store import is_database_url, is_store_file

    return is_database_url(input) or is_store_file(input)


def read_options(func: F) -> F:
    """``--layer --encoding --attributes --assume-crs --id-column --unit --partition
    --bbox``: every command
    that reads a parcel layer shares them; the command gets them as one keyword argument
    ``read`` (:class:`ReadArgs`)."""
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
        click.option(
            "--unit",
            multiple=True,
            metavar="FIELD=UNIT",
            help="Area unit of a column (a standard field or a header of the file): m2, 亩 "
            "or 公顷, e.g. --unit footprint_m2=亩 (repeatable). Without it a cut or unit-less "
            "area header gets the one unit its values make plausible, or is reported.",
        ),
        click.option(
            "--partition",
            multiple=True,
            metavar="KEY=VALUE",
            callback=_partition_callback,
            help="Of a partitioned dataset (a folder from convert --partition-by): read only "
            "this partition, e.g. --partition city=抚州市 (repeatable; a repeated key means "
            "either value). The other partitions' files are not opened.",
        ),
        click.option(
            "--bbox",
            metavar="MINX,MINY,MAXX,MAXY",
            callback=_bbox_callback,
            help="Of a partitioned dataset: only the parcels meeting this box, in its CRS.",
        ),
    ]
    return _apply(_collect(func, ReadArgs, "read"), opts)


# -- dates --------------------------------------------------------------------------------------

FIRST_DATE = "1990-01-01"
"""Earliest plausible date of an assessment, period or ledger state: land-use rights have
been granted under the 1990 regulations on granting and transferring state-owned urban land
use rights (城镇国有土地使用权出让和转让暂行条例); an earlier date is a typing error."""

YEARS_AHEAD = 5
"""A date more than this many calendar years after the current year is a typing error."""


def check_date(value: str) -> str:
    """``value`` when it is a plausible ``YYYY-MM-DD`` date, else ValueError saying why.

    Plausible: a real calendar day from :data:`FIRST_DATE` up to the end of the year
    :data:`YEARS_AHEAD` years from now.

    Examples
    --------
    >>> check_date("2023-10-31")
    '2023-10-31'
    >>> check_date("2023-02-30")
    Traceback (most recent call last):
    ...
    ValueError: '2023-02-30' 不是日期 is not a date. Fix: write it as YYYY-MM-DD, e.g. 2023-10-31.
    """
    import datetime as dt
    import re

    try:
        day = dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"'{value}' 不是日期 is not a date. Fix: write it as YYYY-MM-DD, "
                         "e.g. 2023-10-31.")
    last = dt.date(dt.date.today().year + YEARS_AHEAD, 12, 31)
    if not dt.date.fromisoformat(FIRST_DATE) <= day <= last:
        raise ValueError(f"'{value}' 日期不合理 is not a plausible date (before {FIRST_DATE} or "
                         f"after {last.isoformat()}). Fix: check the year.")
    return value


def _date_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_date(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


def date_option(*names: str, required: bool = False, help: str) -> Callable[[F], F]:
    """A date option checked by :func:`check_date` (e.g. ``--from``, ``ledger show --as-of``)."""
    return click.option(*names, required=required, callback=_date_callback, help=help)


# -- assessment: --as-of --rules --lang --buildings ---------------------------------------------


def read_buildings(path: str | None) -> gpd.GeoDataFrame | None:
    """Building footprints from ``path`` (None when no path), by
    :func:`landuse.io.buildings.read_buildings`, the reader of every command that takes
    ``--buildings``; ``attrs["landuse"]["source"]`` records the path, for messages."""
    from landuse.io.buildings import read_buildings as read

    gdf = read(path)
    if gdf is not None:
        gdf.attrs["landuse"] = {"source": str(path)}
    return gdf


def _rules_callback(ctx: click.Context, param: click.Parameter,
                    value: str | None) -> Ruleset | None:
    """Load the zone's ruleset strictly; its errors (file, line, key) become a usage error."""
    if value is None:
        return None
    from landuse.errors import LanduseError
    from landuse.rules import load_ruleset

    try:
        return load_ruleset(value)
    except (LanduseError, OSError) as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


def _known_at_callback(ctx: click.Context, param: click.Parameter,
                       value: str | None) -> str | None:
    if value is None:
        return None
    from landuse.errors import LanduseError
    from landuse.store.history import known_at_iso

    try:
        return known_at_iso(value)
    except LanduseError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


known_at_option = click.option(
    "--known-at", "known_at", callback=_known_at_callback,
    help="Read a store as it was recorded at this date or time (YYYY-MM-DD = end of that "
    "day, or YYYY-MM-DDTHH:MM:SS, UTC; default now): its register valid on the date "
    "read and its ledger, later versions and corrections left out. 数据截至记录时间")
"""``--known-at``: the record time a store is read at (:func:`landuse.store.history.
known_at_iso` form), for every command that reads a store's past."""


def _buildings_callback(ctx: click.Context, param: click.Parameter,
                        value: str | None) -> gpd.GeoDataFrame | None:
    from landuse.errors import CRSError, LanduseError

    try:
        bld = read_buildings(value)
        if bld is not None and bld.crs is None:
            raise CRSError(f"{value}: the buildings have no CRS. Fix: add the .prj file or "
                           "write them with their CRS (e.g. EPSG:4490 or EPSG:4527).")
    except LanduseError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None
    return bld


@dataclass(frozen=True)
class AssessArgs:
    """The options of :func:`assess_options`, passed to a command as ``assessing``.

    ``rules`` is the zone's ruleset, already loaded (None: the national default);
    ``buildings`` the footprints, already read and with a CRS (None: not given).
    """

    as_of: str | None
    rules: Ruleset | None = None
    lang: str = "zh"
    buildings: gpd.GeoDataFrame | None = None
    industry_edition: str | None = None
    known_at: str | None = None
    """Record time (``--known-at``): read a store as it was recorded then (default now)."""

    def register(self, read: ReadArgs, input: str, as_of: str | None = None
                 ) -> gpd.GeoDataFrame:
        """INPUT's parcels; from a store, its register valid on ``as_of`` (default
        ``--as-of``) as known at ``--known-at``."""
        return read.parcels(input, as_of=as_of or self.as_of, known_at=self.known_at)

    def ruleset(self) -> Ruleset | None:
        """The zone's ruleset (or the default) with ``--industry-edition`` applied, if given."""
        if self.industry_edition is None:
            return self.rules
        from landuse.rules import default_ruleset

        base = self.rules if self.rules is not None else default_ruleset()
        return base.override({"control": {"industry_code_edition": self.industry_edition}},
                             source="--industry-edition")

    def buildings_for(self, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
        """The buildings, checked to be in the parcels' CRS (CRSError naming both if not)."""
        if self.buildings is None:
            return None
        from pyproj import CRS

        from landuse.errors import CRSError

        bld, src = self.buildings, self.buildings.attrs.get("landuse", {}).get("source", "")
        if parcels.crs is None:
            return bld
        b_crs, p_crs = CRS.from_user_input(bld.crs), CRS.from_user_input(parcels.crs)
        if not b_crs.equals(p_crs):
            raise CRSError(
                f"--buildings {src}: the buildings are in {b_crs.to_string()} but the parcels "
                f"in {p_crs.to_string()}. Fix: "
                "reproject the buildings to the parcels' CRS (e.g. landuse convert, ogr2ogr "
                "-t_srs)."
            )
        return bld

    def assess(self, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``parcels`` assessed with these options (:func:`landuse.rules.assess`)."""
        from landuse.rules import assess

        if self.as_of is None:
            raise click.UsageError("give the assessment date with --as-of YYYY-MM-DD.")
        return assess(parcels, self.as_of, ruleset=self.ruleset(), lang=self.lang,
                      buildings=self.buildings_for(parcels))


def assess_options(func: F | None = None, *, required: bool = True,
                   as_of_help: str = "Assessment date 评估基准日, YYYY-MM-DD.") -> Any:
    """``--as-of --rules --lang --buildings --industry-edition``: every command that assesses
    shares them; the command gets them as one keyword argument ``assessing`` (:class:`AssessArgs`).

    Use as ``@assess_options`` (``--as-of`` required) or ``@assess_options(required=False,
    as_of_help=...)`` for a command with a default date.
    """

    def decorate(f: F) -> F:
        opts = [
            click.option("--as-of", "as_of", required=required, callback=_date_callback,
                         help=as_of_help),
            click.option("--rules", type=click.Path(dir_okay=False, exists=True),
                         callback=_rules_callback,
                         help="A zone's ruleset file (TOML), merged over the national "
                         "default.  区域规则集"),
            click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                         show_default=True, help="Language of reasons, labels and text."),
            click.option("--buildings", type=click.Path(dir_okay=False, exists=True),
                         callback=_buildings_callback,
                         help="Building footprints in the parcels' CRS (outside_supply flag; "
                         "drawn on maps)."),
            click.option("--industry-edition", "industry_edition",
                         type=click.Choice(["2002", "2011", "2017"]), default=None,
                         help="GB/T 4754 edition of industry_code where a parcel's "
                         "industry_code_edition is empty (default: the ruleset's, 2002). "
                         "行业代码版本"),
            known_at_option,
        ]
        return _apply(_collect(f, AssessArgs, "assessing"), opts)

    return decorate(func) if func is not None else decorate


def read_ledger_for(input: str, ledger: str | None, required: bool = False,
                    known_at: str | None = None) -> Any:
    """The ledger of ``--ledger`` or, by default, INPUT's ``ledger`` layer (a GeoPackage);
    of a store (:func:`is_store_input`), its events recorded by ``known_at`` (default: all).

    None when neither exists and ``required`` is false; DataSourceError naming the fix when
    it is true.
    """
    from pathlib import Path

    from landuse.errors import DataSourceError
    from landuse.io import list_layers, read_ledger

    if ledger is not None:
        return read_ledger(ledger)
    if is_store_input(input):
        from landuse.store import open_store

        with open_store(input) as store:
            return store.ledger_frame(known_at=known_at)
    src = Path(input)
    layers = [n for n, _ in list_layers(src)] if src.suffix.lower() == ".gpkg" else []
    if "ledger" in layers:
        return read_ledger(src, layer="ledger")
    if required:
        raise DataSourceError(
            f"{src}: has no 'ledger' layer. Fix: give the ledger with --ledger FILE "
            "(GeoPackage, CSV or XLSX) or add events with 'landuse ledger add'."
        )
    return None


# -- store: --store --database -----------------------------------------------------------------


def store_options(func: F) -> F:
    """``--store`` (a GeoPackage store, default park.gpkg) and ``--database`` (PostGIS, or
    ``LANDUSE_DATABASE_URL``); the command gets ``store_path`` and ``database``."""
    return _apply(func, [
        click.option("--store", "store_path", type=click.Path(dir_okay=False),
                     help="GeoPackage store (default: park.gpkg)."),
        click.option("--database", envvar="LANDUSE_DATABASE_URL",
                     help="postgresql://... PostGIS store (or LANDUSE_DATABASE_URL)."),
    ])


# -- output: -o/--output --overwrite ------------------------------------------------------------


def check_outputs(outputs: tuple[str, ...], input: str | None, overwrite: bool) -> None:
    """Refuse an output that is the input (DataSourceError) or exists without ``overwrite``
    (OutputExistsError); :func:`output_options` calls it before the command runs."""
    from pathlib import Path

    from landuse.errors import DataSourceError, OutputExistsError

    for out in outputs:
        if input and Path(out).resolve() == Path(input).resolve():
            raise DataSourceError(f"{out}: is the input file; the source is never modified in "
                                  "place. Fix: give a new file name.")
        if Path(out).exists() and not overwrite:
            raise OutputExistsError(
                f"{out}: file exists and won't be overwritten without --overwrite."
            )


def output_options(func: F | None = None, *, help: str = "Output file.",
                   multiple: bool = False) -> Any:
    """``-o/--output`` (required) and ``--overwrite``: before the command runs, an existing
    output is refused without ``--overwrite`` and the input is never an output.

    The command gets ``output`` (or ``outputs``, a tuple, with ``multiple=True``) and
    ``overwrite``.
    """

    def decorate(f: F) -> F:
        name = "outputs" if multiple else "output"

        @functools.wraps(f)
        def checked(*args: Any, **kwargs: Any) -> Any:
            outs = kwargs[name] if multiple else (kwargs[name],)
            check_outputs(tuple(outs), kwargs.get("input"), kwargs["overwrite"])
            return f(*args, **kwargs)

        opts = [
            click.option("-o", "--output", name, required=True, multiple=multiple,
                         type=click.Path(dir_okay=False), help=help),
            overwrite_opt,
        ]
        return _apply(cast(F, handle_errors(checked)), opts)

    return decorate(func) if func is not None else decorate


# -- engine: --workers --cluster ----------------------------------------------------------------


@dataclass(frozen=True)
class EngineArgs:
    """The options of :func:`engine_options`, passed to a command as ``engine``."""

    workers: int | None = None
    cluster: str | None = None

    @property
    def distributed(self) -> bool:
        """True when the command runs on Dask (``--workers`` or ``--cluster``)."""
        return self.workers is not None or self.cluster is not None


def engine_options(func: F) -> F:
    """``--workers --cluster``: a command that runs per development zone of a partitioned
    dataset takes them; it gets them as one keyword argument ``engine`` (:class:`EngineArgs`)."""
    opts = [
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Run one task per development zone on a local Dask cluster of N "
                     "worker processes (a partitioned dataset as INPUT)."),
        click.option("--cluster", metavar="tcp://HOST:8786", default=None,
                     help="Run one task per development zone on this Dask scheduler (the "
                     "dataset must be at the same path on every worker)."),
    ]
    return _apply(_collect(func, EngineArgs, "engine"), opts)
