"""The province's PMTiles archive over HTTP, with range requests (``LANDUSE_PMTILES``).

A PMTiles reader asks for byte ranges (the header, a directory, one tile): ``Range: bytes=
a-b`` gets 206 with ``Content-Range``; a range past the end gets 416; no range gets the
whole file (200). ``/tiles/province.html`` is the viewer page opening the archive from here.
``Accept-Ranges: bytes`` and an ``ETag`` (size and modification time)
tell the reader the file can be read in parts and has not changed between reads.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from landuse_api.deps import Reader
from landuse_api.errors import problem

router = APIRouter(tags=["maps 地图"])

__all__ = ["parse_range", "router"]

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of ``Range: bytes=a-b`` for a file of ``size`` bytes;
    None when unsatisfiable; ValueError when malformed or asking for several ranges.

    Examples
    --------
    >>> parse_range("bytes=0-126", 1000), parse_range("bytes=990-", 1000)
    ((0, 126), (990, 999))
    >>> parse_range("bytes=-10", 1000), parse_range("bytes=1000-", 1000)
    ((990, 999), None)
    """
    m = _RANGE.fullmatch(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        raise ValueError(header)
    if not m.group(1):  # the last N bytes
        n = int(m.group(2))
        return (max(size - n, 0), size - 1) if n and size else None
    first = int(m.group(1))
    last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if first >= size or last < first:
        return None
    return first, last


@router.get("/tiles/province.html", operation_id="province_pmtiles_page",
            summary="A map page that opens the served PMTiles archive",
            response_class=HTMLResponse, responses={404: {"description": "no archive"}})
def province_page(request: Request, _key: Reader, lang: str = "zh") -> Response:
    from landuse.webmap.viewer import viewer_html

    path = request.app.state.settings.pmtiles
    if not path or not Path(path).is_file():
        return problem(404, "no PMTiles archive is served. Fix: start the server with "
                       "--pmtiles FILE (or LANDUSE_PMTILES).")
    if lang not in ("zh", "en"):
        return problem(400, f"lang '{lang}' is not supported. Fix: use zh or en.", "lang")
    return HTMLResponse(viewer_html(lang, url="province.pmtiles"))


@router.head("/tiles/province.pmtiles", include_in_schema=False)
@router.get("/tiles/province.pmtiles", operation_id="province_pmtiles",
            summary="The province's vector tiles as one PMTiles archive (range requests)",
            response_class=Response,
            responses={206: {"description": "the bytes asked for by Range",
                             "content": {"application/vnd.pmtiles": {}}},
                       404: {"description": "no archive is served"},
                       416: {"description": "the range starts past the end"}})
def province_pmtiles(request: Request, _key: Reader) -> Response:
    path = request.app.state.settings.pmtiles
    if not path or not Path(path).is_file():
        return problem(404, "no PMTiles archive is served. Fix: start the server with "
                       "--pmtiles FILE (or LANDUSE_PMTILES), a file from 'landuse map "
                       "DATASET --pmtiles FILE'.")
    p = Path(path)
    st = p.stat()
    size = st.st_size
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{size:x}-{st.st_mtime_ns:x}"',
               "Cache-Control": "no-cache"}
    media = "application/vnd.pmtiles"
    wanted = request.headers.get("range")
    if wanted is None:
        body = b"" if request.method == "HEAD" else p.read_bytes()
        return Response(body, 200, headers={**headers, "Content-Length": str(size)},
                        media_type=media)
    try:
        span = parse_range(wanted, size)
    except ValueError:
        return problem(400, f"Range '{wanted}' is not one 'bytes=FIRST-LAST' range.", "Range")
    if span is None:
        return Response(b"", 416, headers={**headers, "Content-Range": f"bytes */{size}"})
    first, last = span
    body = b""
    if request.method != "HEAD":
        with open(p, "rb") as f:
            f.seek(first)
            body = f.read(last - first + 1)
    return Response(body, 206, media_type=media, headers={
        **headers, "Content-Range": f"bytes {first}-{last}/{size}",
        "Content-Length": str(last - first + 1)})
