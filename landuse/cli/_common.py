"""Shared pieces of the CLI: error translation and common options."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from landuse.errors import LanduseError, OutputExistsError

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["EXIT_ERRORS", "EXIT_INPUT", "handle_errors", "overwrite_opt", "read_options"]

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


def read_options(func: F) -> F:
    """Options every command that reads a parcel layer shares."""
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
    for opt in reversed(opts):
        func = opt(func)
    return func
