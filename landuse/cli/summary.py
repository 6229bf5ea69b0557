"""``landuse summary``: counts and 亩 per stage, idle type, indicator and class, by sub-park."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from landuse.cli._common import AssessArgs, assess_options, handle_errors

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["format_summary", "summary"]

_ZH = {
    "lifecycle": {
        "approved_unsupplied": "批而未供",
        "supplied_unused": "供而未用",
        "used_incomplete": "用而未尽",
        "built_not_producing": "建而未投",
        "producing_below_target": "投而未达",
        "in_use": "正常使用",
        "unknown": "不明",
    },
    "idle_type": {
        "none": "非闲置",
        "not_started": "未动工闲置",
        "stalled": "中止开发闲置",
    },
    "failed_indicators": {
        "far": "容积率",
        "coverage": "建筑系数",
        "admin_share": "行政办公及生活服务设施用地比例",
        "green_ratio": "绿地率",
        "invest_intensity": "投资强度",
        "tax_per_mu": "亩均税收",
    },
    "mujun_class": {"A": "A类", "B": "B类", "C": "C类", "D": "D类", "T": "T类(不参评)"},
}


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
            t.index = [f"{_ZH[col].get(str(c), str(c))} {c}" for c in t.index]
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
@assess_options
@handle_errors
def summary(input: str, assessing: AssessArgs) -> None:
    """Print counts and 亩 per 五未 stage, idle type, failed indicator and class, by sub-park.

    \b
    Example:
      landuse summary data/geo/sample_park.gpkg --as-of 2023-10-31
    """
    gdf = assessing.assessed(input)
    click.echo(format_summary(gdf))
