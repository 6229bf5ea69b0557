"""The ``landuse`` command line.

Each command lives in its own module of this package and is registered in
``COMMANDS`` below; a command parses its options, calls the library and writes its
output. Options that several commands take come from the option groups of
:mod:`landuse.cli._common` (input, assessment, output, store), so they are spelled,
parsed and checked the same way everywhere. Library errors become clean messages with a
non-zero exit code, never tracebacks.
"""

from __future__ import annotations

import importlib

import click

from landuse import __version__

__all__ = ["cli", "main"]

# module name in landuse.cli -> attribute holding the click command
COMMANDS: tuple[tuple[str, str], ...] = (
    ("info", "info"),
    ("validate", "validate"),
    ("convert", "convert"),
    ("demo", "demo"),
    ("assess", "assess"),
    ("summary", "summary"),
    ("ledger", "ledger"),
    ("report", "report"),
    ("evidence", "evidence"),
    ("load", "load"),
    ("keys", "keys"),
    ("serve", "serve"),
    ("map", "map_cmd"),
    ("supply", "supply"),
    ("changes", "changes_cmd"),
)


class _LazyGroup(click.Group):
    """Load each command module only when it is needed (fast ``--help``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*self.commands, *(n.replace("_", "-") for n, _ in COMMANDS)])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        for mod, attr in COMMANDS:
            if mod.replace("_", "-") == cmd_name:
                module = importlib.import_module(f"landuse.cli.{mod}")
                return getattr(module, attr)
        return None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="landuse")
def cli() -> None:
    """landuse: idle and low-efficiency land in development zones.

    \b
    Examples:
      landuse info parcels.shp
      landuse validate parcels.gpkg --report problems.csv
      landuse demo
    """


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="landuse")
