"""``landuse summary``: counts and 亩 per stage, idle type, indicator and class, by sub-park."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from landuse.cli._common import (
    AssessArgs,
    EngineArgs,
    ReadArgs,
    assess_options,
    engine_options,
    handle_errors,
    read_options,
)
from landuse.labels import both as _both
from landuse.labels import has_label, label
from landuse.report.text import day_text
from landuse.standard import get_standard

if TYPE_CHECKING:
    import pandas as pd

    from landuse.engine import UnitResult

__all__ = ["format_summary", "summary"]

def _row_label(col: str, code: object, lang: str | None = None) -> str:
    """A row of the summary (long label for 亩均 classes).

    Bilingual (``lang`` None): ``<Chinese label> <code>``; in one language: the label only.
    """
    list_name = get_standard().field("assessment", col).codes
    assert list_name is not None, col
    c = str(code)
    known = has_label(list_name, c)
    if lang is not None:
        return label(list_name, c, lang, long=True) if known else c
    return f"{label(list_name, c, long=True) if known else c} {c}"


def format_summary(assessed: pd.DataFrame, lang: str | None = None) -> str:
    """The summary tables as text for the terminal.

    Parameters
    ----------
    assessed : pandas.DataFrame
        The assessment.
    lang : {None, "zh", "en"}
        None: Chinese and English headings side by side (the terminal's default); "zh" or
        "en": that language only (``--lang`` given on the command line).
    """
    import pandas as pd

    from landuse.rules.summary import DIMENSIONS, summarise

    def both(kind: str, key: str) -> str:
        return _both(kind, key) if lang is None else label(kind, key, lang)

    tables = summarise(assessed)
    meta = assessed.attrs.get("assessment", {})
    as_of = str(meta.get("as_of", ""))
    if lang == "zh" and len(as_of) >= 10:
        as_of = day_text(pd.Timestamp(as_of[:10]), "zh")
    lines = [
        f"{both('common', 'as_of')}: {as_of}    "
        f"{both('field', 'ruleset')}: {meta.get('ruleset', {}).get('description', '')}",
        f"{both('common', 'parcels')}: {len(assessed)}    "
        f"{both('field', 'area_mu')}: {float(pd.to_numeric(assessed['area_mu']).sum()):,.2f} "
        f"{both('unit', 'mu')}",
    ]
    everything = both("common", "all")
    count, mu = both("common", "parcel_count"), both("unit", "mu")
    nothing = f"({both('common', 'none')})"
    with pd.option_context(
        "display.unicode.east_asian_width",
        True,
        "display.width",
        200,
        "display.max_columns",
        50,
        "display.float_format",
        "{:,.2f}".format,
    ):
        for col, (zh, en) in DIMENSIONS.items():
            if col not in tables:
                continue
            t = tables[col].copy()
            t.index = [_row_label(col, c, lang) for c in t.index]
            t.columns = pd.MultiIndex.from_tuples(
                [
                    (
                        everything if c[0] == "all" else c[0],
                        count if c[1] == "parcels" else mu,
                    )
                    for c in t.columns
                ]
            )
            head = f"{zh} {en}" if lang is None else (zh if lang == "zh" else en)
            lines += ["", f"== {head} ==", t.to_string() if len(t) else nothing]
    return "\n".join(lines)


@click.command()
@click.argument("input", type=click.Path())
@read_options
@assess_options
@engine_options
@handle_errors
def summary(input: str, read: ReadArgs, assessing: AssessArgs, engine: EngineArgs) -> None:
    """Print counts and 亩 per 五未 stage, idle type, failed indicator and class, by sub-park.

    \b
    Example:
      landuse summary data/geo/sample_park.gpkg --as-of 2023-10-31
      landuse summary province_parcels/ --as-of 2023-10-31 --workers 4

    A partitioned dataset is assessed one development zone at a time (here, or on Dask with
    --workers/--cluster) and summed in parcel-id order, so the figures do not depend on the
    engine.
    """
    from landuse.cli._province import assessed, by_zone, report_failures

    failed: list[UnitResult] = []
    if by_zone(input, engine):
        gdf, failed = assessed(input, read, assessing, engine)
    else:
        gdf = assessing.assess(assessing.register(read, input))
    given = click.get_current_context().get_parameter_source("lang")
    explicit = given is not None and given.name == "COMMANDLINE"
    click.echo(format_summary(gdf, assessing.lang if explicit else None))
    report_failures(failed)
