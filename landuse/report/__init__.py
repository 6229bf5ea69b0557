"""Reports: the zone's land section of its work report, from parcels and the ledger.

:func:`build_report` computes every figure (pure) into a :class:`ReportData`, whose
``to_dict()`` is the report's one serialisation; :func:`write_report` lays that out as
HTML, XLSX, DOCX, Markdown or JSON (:func:`report_context` hands it to Word templates);
:func:`zone_indicators` gives the zone-level land-use intensity indicators (also for the
API).

Where each part lives: :mod:`~landuse.report.period` (the period and its events),
:mod:`~landuse.report.reclamation` (盘活, zombies, new enterprises, auctions, open cases,
the ledger notes), :mod:`~landuse.report.ledger_tables` and
:mod:`~landuse.report.parcel_tables` (one builder per table), :mod:`~landuse.report.headline`
(the work-report paragraph), :mod:`~landuse.report.evidence` (records vs imagery),
:mod:`~landuse.report.model` (the report model and its serialisation),
:mod:`~landuse.report.writers` (the formats), :mod:`~landuse.report.partial` (a zone's
part of the report: a province report is built from the zones' parts merged),
:mod:`~landuse.report.sums` (every sum, exact and independent of order and split).
"""

from __future__ import annotations

from landuse.report.build import build_report
from landuse.report.indicators import zone_indicators
from landuse.report.model import Chart, ReportData, Table
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
