"""The problem report of ``landuse validate``: CSV for Excel, JSON with a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from landuse.io.write import atomic_path

__all__ = ["write_problems"]


def write_problems(problems: pd.DataFrame, target: Path, source: str,
                   overwrite: bool = False) -> Path:
    """Write the problems to CSV (UTF-8 with BOM, opens in Excel) or JSON, atomically."""
    from landuse.core.validate import summarise_problems

    suffix = target.suffix.lower()
    with atomic_path(target, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            problems.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            doc = {
                "file": source,
                "summary": summarise_problems(problems),
                "problems": json.loads(problems.to_json(orient="records", force_ascii=False)),
            }
            tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return target
