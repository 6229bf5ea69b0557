"""Size guards: refuse hostile or absurd inputs with a clear error before they eat memory.

What a realistic "2 GB attribute string" looks like, and where we stop it:

* **CSV**: one cell of gigabytes (a runaway quote, a pasted blob). Before pandas parses the
  file, :func:`check_text_cells` streams it in 1 MiB chunks with numpy and measures the
  longest run of bytes without a comma, tab, semicolon or newline. A run longer than
  :data:`MAX_CELL_BYTES` (8 MiB) is an error naming the file and the line. Real cells,
  WKT polygons included, are far shorter between separators (WKT has a comma per vertex).
* **XLSX**: a zip whose members inflate to gigabytes (a zip bomb, or a giant shared
  string). :func:`check_xlsx` reads the zip directory only (no inflating) and refuses a
  member over :data:`MAX_XLSX_MEMBER_BYTES`; cells over Excel's own limit of 32 767
  characters are refused after reading, naming the row.
* **DBF** (shapefile): a field size is one byte (≤ 255) but the record size in the header
  is two; a header declaring more than :data:`MAX_DBF_RECORD_BYTES` per record, or more
  records than the file holds, is refused (see :mod:`landuse.io.shapefile`).
* **GeoJSON / GeoPackage / GeoParquet**: GDAL refuses a GeoJSON object over 200 MB
  (``OGR_GEOJSON_MAX_OBJ_SIZE``); after reading any format, a text cell longer than
  :data:`MAX_CELL_CHARS` is refused by :func:`check_frame_cells`, naming the row.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from landuse.errors import DataSourceError

__all__ = [
    "MAX_CELL_BYTES",
    "MAX_CELL_CHARS",
    "MAX_DBF_RECORD_BYTES",
    "MAX_XLSX_MEMBER_BYTES",
    "check_frame_cells",
    "check_text_cells",
    "check_xlsx",
]

MAX_CELL_BYTES = 8 * 1024 * 1024
"""Longest run of bytes without a separator accepted in a CSV (8 MiB)."""
MAX_CELL_CHARS = 4 * 1024 * 1024
"""Longest text cell accepted after reading any format (4 Mi characters)."""
MAX_DBF_RECORD_BYTES = 65535
"""Largest DBF record accepted (the format's own 16-bit limit)."""
MAX_XLSX_MEMBER_BYTES = 1024 * 1024 * 1024
"""Largest inflated member of an XLSX zip accepted (1 GiB)."""
EXCEL_CELL_CHARS = 32767
"""Excel's own limit on the characters in a cell."""

_SEPARATORS = (ord(","), ord("\n"), ord("\t"), ord(";"))


def check_text_cells(path: Path, limit: int = MAX_CELL_BYTES, chunk: int = 1 << 20) -> None:
    """Raise DataSourceError if ``path`` has a run of more than ``limit`` bytes without a
    separator (comma, tab, semicolon, newline); the message names the line."""
    run = 0  # bytes since the last separator, carried across chunks
    line = 1
    with path.open("rb") as f:
        while True:
            buf = f.read(chunk)
            if not buf:
                return
            a = np.frombuffer(buf, dtype=np.uint8)
            sep = np.flatnonzero(np.isin(a, _SEPARATORS))
            if len(sep) == 0:
                run += len(a)
            else:
                gaps = np.diff(sep) - 1
                first = run + int(sep[0])
                longest = max(first, int(gaps.max()) if len(gaps) else 0)
                if longest <= limit:
                    line += int(np.count_nonzero(a == 10))
                    run = len(a) - int(sep[-1]) - 1
                    continue
                # locate the line of the offending run
                if first > limit:
                    run = first
                else:
                    k = int(np.argmax(gaps > limit))
                    line += int(np.count_nonzero(a[: sep[k] + 1] == 10))
                    run = limit + 1
            if run > limit:
                raise DataSourceError(
                    f"{path}: line {line} holds a cell of more than {limit // (1024 * 1024)} "
                    "MiB without a separator; the file is corrupt or hostile (a runaway "
                    "quote or a pasted blob). Fix: open it in a spreadsheet, find that line "
                    "and remove or shorten the cell."
                )


def check_xlsx(path: Path, limit: int = MAX_XLSX_MEMBER_BYTES) -> None:
    """Raise DataSourceError if ``path`` is not a zip or a member would inflate past
    ``limit`` bytes (checked from the zip directory, without inflating anything)."""
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.file_size > limit:
                    raise DataSourceError(
                        f"{path}: the workbook part {info.filename} inflates to "
                        f"{info.file_size / 2**30:.1f} GiB, more than the limit of "
                        f"{limit / 2**30:.1f} GiB; the file is hostile or broken. Fix: save "
                        "the sheet again from Excel, or as CSV."
                    )
    except zipfile.BadZipFile as e:
        raise DataSourceError(
            f"{path}: not a valid .xlsx (the zip container is corrupt or truncated: {e}). "
            "Fix: save the workbook again from Excel."
        ) from e


def check_frame_cells(df: pd.DataFrame, source: str, limit: int = MAX_CELL_CHARS) -> None:
    """Raise DataSourceError if a text cell of ``df`` is longer than ``limit`` characters."""
    for col in df.columns:
        s = df[col]
        if s.dtype != object and not isinstance(s.dtype, pd.StringDtype):
            continue
        if col == "geometry":
            continue
        lens = s.astype("string").str.len()
        if lens.isna().all():
            continue
        mx = lens.max()
        if pd.notna(mx) and int(mx) > limit:
            pos = int(np.argmax(lens.fillna(0).to_numpy() > limit))
            raise DataSourceError(
                f"{source}: row {pos + 1}, field '{col}': a text of {int(mx):,} characters, "
                f"more than the limit of {limit:,}; the file is corrupt or hostile. Fix: "
                "shorten or remove that cell in the source."
            )
