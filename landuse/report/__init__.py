"""Reports: the zone's land section of its work report, from parcels and the ledger.

:func:`build_report` computes every figure (pure); :func:`write_report` lays them out as
HTML, XLSX, DOCX, Markdown or JSON; :func:`zone_indicators` gives the zone-level
land-use intensity indicators (also for the API).
"""

from __future__ import annotations

from landuse.report.build import Chart, ReportData, Table, build_report
from landuse.report.indicators import zone_indicators
from landuse.report.writers import FORMATS, map_href_for, report_context, write_report

__all__ = [
    "FORMATS",
    "Chart",
    "ReportData",
    "Table",
    "build_report",
    "map_href_for",
    "report_context",
    "write_report",
    "zone_indicators",
]
