"""Shared pieces of the CLI: error translation and common options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from landuse.errors import LanduseError, OutputExistsError

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["handle_errors", "overwrite_opt"]

EXIT_INPUT = 2
"""Exit code when the input cannot be used (file missing, unreadable, bad options)."""


def handle_errors(func: F) -> F:
    """Turn library errors into a one-line message on stderr and exit code 2.

    Branches on exception type, never on message text.
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

    return wrapper  # type: ignore[return-value]


overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
