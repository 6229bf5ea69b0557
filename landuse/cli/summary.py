"""``landuse summary``: counts and 亩 per stage, idle type, indicator and class, by sub-park."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from landuse.cli._common import AssessArgs, ReadArgs, assess_options, handle_errors, read_options
from landuse.standard import code_label

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["format_summary", "summary"]

_CODE_LIST = {"failed_indicators": "failed_indicator"}
"""Summary column -> code list of the standard, where the names differ."""


def _row_label(col: str, code: object) -> str:
    """``<Chinese label> <code>`` for a row of the summary (long label for 亩均 classes)."""
    from landuse.standard import get_standard

    list_name = _CODE_LIST.get(col, col)
    c = str(code)
    known = c in get_standard().codes[list_name]
    return f"{code_label(list_name, c, long=True) if known else c} {c}"


def format_summary(assessed: pd.DataFrame) -> str:
    """The summary tables as text for the terminal (Chinese + English headings)."""
    import pandas as pd

    from landuse.rules.summary import DIMENSIONS, summarise

    tables = summarise(assessed)
    meta = assessed.attrs.get("assessment", {})
    lines = [
        f"评估基准日 as of: {meta.get('as_of', '')}    "
        f"规则集 ruleset: {meta.get('ruleset', {}).get('description', '')}",
        f"宗地 parcels: {len(assessed)}    "
        f"面积 area: {float(pd.to_numeric(assessed['area_mu']).sum()):,.2f} 亩 mu",
    ]
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
            t.index = [_row_label(col, c) for c in t.index]
            t.columns = pd.MultiIndex.from_tuples(
                [
                    (
                        "全部 all" if c[0] == "all" else c[0],
                        "宗 parcels" if c[1] == "parcels" else "亩 mu",
                    )
                    for c in t.columns
                ]
            )
            lines += ["", f"== {zh} {en} ==", t.to_string() if len(t) else "(无 none)"]
    return "\n".join(lines)


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@read_options
@assess_options
@handle_errors
def summary(input: str, read: ReadArgs, assessing: AssessArgs) -> None:
    """Print counts and 亩 per 五未 stage, idle type, failed indicator and class, by sub-park.

    \b
    Example:
      landuse summary data/geo/sample_park.gpkg --as-of 2023-10-31
    """
    gdf = assessing.assess(read.parcels(input))
    click.echo(format_summary(gdf))
