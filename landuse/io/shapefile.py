"""Shapefile sidecars: encoding detection and structural checks before GDAL reads.

Encoding (see domain.md §6.5): GDAL honours a ``.cpg`` sidecar and the DBF language
byte (LDID, offset 29), but where neither declares an encoding it decodes as ISO-8859-1,
which turns GBK Chinese into mojibake without any error. So we decide ourselves:

1. ``--encoding`` given by the user wins;
2. else the ``.cpg`` text (``GBK``, ``936``, ``UTF-8`` …);
3. else the LDID byte (0x4D = CP936, …);
4. else the DBF's bytes (field names and records) are tried as UTF-8 strictly, then as
   GB18030 (a superset of GBK); the first that decodes every byte is used, and which one
   is reported in ``attrs["landuse"]["encoding"]``.

Structure: a ``.shp`` without ``.dbf`` or ``.shx``, a DBF whose header declares more
bytes than the file holds (truncated), or record counts that disagree between ``.shx``
and ``.dbf`` are reported with the file and the first record affected, instead of
letting GDAL read a partial layer.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path

from landuse.errors import DataSourceError

__all__ = ["LDID_CODEPAGES", "ShapefileEncoding", "check_shapefile", "detect_encoding"]

LDID_CODEPAGES: dict[int, str] = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x4D: "gb18030",  # CP936 (GBK); GB18030 decodes every GBK byte sequence the same way
    0x4E: "cp949",
    0x4F: "cp950",
    0x7A: "gb18030",  # PRC GBK (ArcGIS)
    0x13: "cp932",
    0x57: "cp1252",
    0xC8: "cp1250",
    0xC9: "cp1251",
}
"""DBF language driver ids (LDID) to Python codecs (the common ones)."""

_CPG_ALIASES = {
    "936": "gb18030",
    "cp936": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "65001": "utf-8",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "950": "cp950",
    "big5": "cp950",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
    "88591": "latin-1",
    "8859_1": "latin-1",
}


@dataclass(frozen=True)
class ShapefileEncoding:
    """The encoding chosen for a shapefile's attributes and how it was decided."""

    encoding: str
    source: str  # "user", "cpg", "ldid", "utf-8 (detected)", "gb18030 (detected)"

    def describe(self) -> str:
        """One line for people."""
        return f"{self.encoding} ({self.source})"


def _sidecar(shp: Path, ext: str) -> Path | None:
    for cand in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if cand.exists():
            return cand
    return None


def _dbf_header(dbf: Path) -> tuple[int, int, int, bytes]:
    """Return (n_records, header_len, record_len, raw header) of a DBF file."""
    with dbf.open("rb") as f:
        head = f.read(32)
        if len(head) < 32:
            raise DataSourceError(
                f"{dbf}: the .dbf is truncated or empty ({len(head)} bytes; a DBF header "
                "has 32). Fix: copy the complete .dbf again from the source."
            )
        n_rec, header_len, record_len = struct.unpack("<IHH", head[4:12])
        rest = f.read(max(header_len - 32, 0))
    return n_rec, header_len, record_len, head + rest


def check_shapefile(shp: Path, max_record_bytes: int) -> int:
    """Check a shapefile's sidecars and sizes; return its record count.

    Raises
    ------
    DataSourceError
        Missing ``.dbf``/``.shx``, truncated files, an absurd declared record size, or
        record counts that disagree.
    """
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        raise DataSourceError(
            f"{shp}: the .dbf (attribute table) is missing, so no parcel id or attribute "
            f"can be read. Fix: put {shp.with_suffix('.dbf').name} next to {shp.name} "
            "(a shapefile is several files: .shp, .shx, .dbf, .prj, .cpg)."
        )
    shx = _sidecar(shp, ".shx")
    if shx is None:
        raise DataSourceError(
            f"{shp}: the .shx (index) is missing. Fix: copy {shp.with_suffix('.shx').name} "
            "from the source, or rebuild it with ogr2ogr --config SHAPE_RESTORE_SHX YES."
        )
    n_rec, header_len, record_len, raw = _dbf_header(dbf)
    if record_len > max_record_bytes:
        raise DataSourceError(
            f"{dbf}: the header declares {record_len} bytes per record, more than the "
            f"limit of {max_record_bytes}; the file is corrupt or hostile. Fix: export the "
            "layer again from the source GIS."
        )
    # field descriptors: 32 bytes each from offset 32 until 0x0D
    declared = 1
    pos = 32
    while pos + 32 <= len(raw) and raw[pos] != 0x0D:
        declared += raw[pos + 16]
        pos += 32
    if declared != record_len and pos + 32 <= len(raw):
        raise DataSourceError(
            f"{dbf}: field sizes add up to {declared} bytes but the header declares "
            f"{record_len} per record; the .dbf is corrupt. Fix: export it again."
        )
    size = dbf.stat().st_size
    need = header_len + n_rec * record_len
    if size < need:
        whole = max((size - header_len) // max(record_len, 1), 0)
        raise DataSourceError(
            f"{dbf}: truncated: the header declares {n_rec} records but the file ends "
            f"inside record {whole + 1} ({size} of {need} bytes). Fix: copy the complete "
            ".dbf again from the source."
        )
    shx_size = shx.stat().st_size
    shp_size = shp.stat().st_size
    if shp_size < 100 or shx_size < 100:
        raise DataSourceError(
            f"{shp}: truncated or empty (.shp {shp_size} bytes, .shx {shx_size} bytes; a "
            "header alone has 100). Fix: copy the complete shapefile again."
        )
    n_shx = (shx_size - 100) // 8
    if n_shx != n_rec:
        raise DataSourceError(
            f"{shp}: the .shx indexes {n_shx} shapes but the .dbf has {n_rec} records; "
            f"record {min(n_shx, n_rec) + 1} onwards cannot be matched. Fix: copy the "
            "complete shapefile (all its files) again."
        )
    with shp.open("rb") as f:
        declared_len = struct.unpack(">i", f.read(28)[24:28])[0] * 2
    if declared_len > shp_size:
        # find the first record whose bytes are beyond the end of the .shp
        with shx.open("rb") as f:
            f.seek(100)
            idx = f.read(n_shx * 8)
        first_bad = n_shx
        for i in range(n_shx):
            off, length = struct.unpack(">ii", idx[i * 8 : i * 8 + 8])
            if (off + length) * 2 + 8 > shp_size:
                first_bad = i
                break
        raise DataSourceError(
            f"{shp}: truncated: the header declares {declared_len} bytes but the file has "
            f"{shp_size}; geometry of record {first_bad + 1} onwards is missing. Fix: copy "
            "the complete .shp again from the source."
        )
    return n_rec


def detect_encoding(shp: Path, user: str | None = None) -> ShapefileEncoding:
    """Decide the attribute encoding of a shapefile (see the module docstring).

    Examples
    --------
    The user's choice always wins:

    >>> detect_encoding(Path("any.shp"), user="GBK").describe()
    'gbk (user)'
    """
    if user:
        try:
            name = codecs.lookup(user).name
            if name == "iso8859-1":
                name = "ISO-8859-1"  # the spelling GDAL's iconv knows
        except LookupError as e:
            raise DataSourceError(
                f"--encoding {user!r} is not an encoding Python knows. "
                "Fix: use e.g. GBK, GB18030 or UTF-8."
            ) from e
        return ShapefileEncoding(name, "user")
    cpg = _sidecar(shp, ".cpg")
    if cpg is not None:
        text = cpg.read_bytes()[:64].decode("ascii", errors="replace").strip().lower()
        enc = _CPG_ALIASES.get(text)
        if enc is None:
            try:
                enc = codecs.lookup(text).name
            except LookupError:
                enc = None
        if enc is not None:
            return ShapefileEncoding(enc, f"cpg: {text}")
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        return ShapefileEncoding("utf-8", "default")
    with dbf.open("rb") as f:
        head = f.read(32)
    ldid = head[29] if len(head) > 29 else 0
    if ldid in LDID_CODEPAGES:
        return ShapefileEncoding(LDID_CODEPAGES[ldid], f"ldid: 0x{ldid:02X}")
    data = dbf.read_bytes()
    if _decodes(data, "utf-8"):
        return ShapefileEncoding("utf-8", "detected: strict UTF-8 decodes every byte")
    if _decodes(data, "gb18030"):
        return ShapefileEncoding("gb18030", "detected: not UTF-8; GB18030 decodes every byte")
    return ShapefileEncoding(
        "ISO-8859-1", "detected: neither UTF-8 nor GB18030; read as Latin-1 (check the text)"
    )


def _decodes(data: bytes, encoding: str) -> bool:
    """True if the DBF's text (field names and the record area) decodes strictly.

    The binary parts of the header (counts, sizes, field types) are skipped. The record
    area is decoded in one piece: numbers and padding are ASCII, so only text cells matter.
    """
    if len(data) < 32:
        return True
    header_len = struct.unpack("<H", data[8:10])[0]
    pos = 32
    try:
        while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
            name = data[pos : pos + 11].split(b"\x00", 1)[0]
            # a name cut at 10 bytes may end inside a character: allow an incomplete tail
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(name, final=False)
            pos += 32
        data[header_len:].rstrip(b"\x1a").decode(encoding, errors="strict")
    except UnicodeDecodeError:
        return False
    return True
