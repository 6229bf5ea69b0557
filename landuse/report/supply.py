"""The report's "土地供应与储备 / Land supply and reserve" section (pure).

:func:`supply_section` lays out a supply summary (:mod:`landuse.supply.summary`): the seed
report's paragraph ("制定年度用地供应计划，依规及时为项目供地。至目前已供应土地*宗，*亩；为*户用地
单位办理了土地使用权他项权利登记，为企业融资*亿元"), followed by the sentences of the figures
(批而未供, 批次供地率, tasks, 尚可供应 and 尚可供地年数, quota), and the tables of batches with
批而未供, task completion, quota balance, the supply plan and 尚可供地年数. Every number is
that of :func:`landuse.supply.summary.summary_dict`; the 口径 go into the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from landuse.labels import label as word_of
from landuse.report.model import Table
from landuse.report.sums import exact_sum
from landuse.report.text import day_text, label
from landuse.standard import get_standard
from landuse.supply.summary import SupplySummary, summary_dict

__all__ = ["SupplySection", "supply_section"]


@dataclass
class SupplySection:
    """Title, paragraph, tables, figures and notes of the supply section."""

    key: str
    title: str
    paragraph: str
    tables: list[Table]
    figures: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``title``, ``paragraph``, ``tables`` (by key), ``figures`` and ``notes``."""
        return {"title": self.title, "paragraph": self.paragraph,
                "tables": {t.key: t.to_dict() for t in self.tables},
                "figures": self.figures, "notes": list(self.notes)}


def _w(key: str, lang: str) -> str:
    return word_of("report", key, lang)


def _mu(text: str, lang: str) -> str:
    return f"{text}（亩）" if lang == "zh" else f"{text} (mu)"


def _field(kind: str, name: str, lang: str) -> str:
    zh, en = get_standard().record_labels[kind][name]
    return zh if lang == "zh" else en


_PARAGRAPH_FIGURES = ("unsupplied_total", "supply_rate", "task", "suppliable", "years_left",
                      "quota")
"""Figures whose sentences follow the seed paragraph, in this order."""


def supply_section(s: SupplySummary, lang: str = "zh") -> SupplySection:
    """The section of ``s`` in ``lang`` (see the module docstring)."""
    doc = summary_dict(s, lang)
    h = doc["headline"]
    date = day_text(s.as_of, lang)
    first = _w("sup_paragraph", lang).format(
        date=date, count=h["supplied_count"], mu=f"{h['supplied_mu']:,.2f}",
        users=h["mortgage_users"], yi=f"{h['financed_yi']:.2f}")
    sentences = [f["reason"] for key in _PARAGRAPH_FIGURES for f in doc["figures"]
                 if f["figure"] == key]
    paragraph = ("" if lang == "zh" else " ").join([first, *sentences])
    koujing = []
    for f in doc["figures"]:
        k = f"{f['figure']}: {f['koujing']}" if lang == "en" else f["koujing"]
        if f["koujing"] and k not in koujing and f["figure"] != "unsupplied_batch":
            koujing.append(k)
    notes = [*koujing, f"{_w('sup_title', lang)}: {s.ruleset.label}"]
    return SupplySection(
        key="supply", title=_w("sup_title", lang), paragraph=paragraph,
        tables=[_batches(s, doc, lang), _tasks(doc, lang), _quota(doc, lang), _plan(doc, lang),
                _years(s, doc, lang)],
        figures={"headline": h, "counts": doc["counts"],
                 "figures": [{k: f[k] for k in ("figure", "subject", "value", "unit")}
                             for f in doc["figures"]]},
        notes=notes)


def _batches(s: SupplySummary, doc: dict[str, Any], lang: str) -> Table:
    keys = ["batch_id", "zone", "approval_date", "approved_mu", "supplied_mu", "reduced_mu",
            "unsupplied_mu", "unsupplied_share_pct"]
    heads = [_field("batches", "batch_id", lang), _field("batches", "zone", lang),
             _field("batches", "approval_date", lang),
             _mu(_field("batches", "approved_area_m2", lang), lang),
             _mu(_w("sup_c_supplied", lang), lang), _mu(_w("sup_c_reduced", lang), lang),
             _mu(_w("sup_c_unsupplied", lang), lang), _w("sup_c_share", lang)]
    rows = [[b[k] for k in keys] for b in doc["batches"]]
    sums = [exact_sum(s.batches[c]) for c in ("approved_m2", "supplied_m2", "reduced_m2",
                                                 "unsupplied_m2")]
    rows.append([word_of("common", "total", lang), None, None, *(s.mu(x) for x in sums),
                 s.pct(sums[3] / sums[0]) if sums[0] else None])
    return Table("supply_batches", _w("sup_t_batches", lang), keys, heads, rows)


def _tasks(doc: dict[str, Any], lang: str) -> Table:
    keys = ["year", "zone", "task_kind", "task_mu", "done_mu", "rate_pct", "met"]
    heads = [_field("disposal_tasks", "year", lang), _w("sup_c_scope", lang),
             _field("disposal_tasks", "task_kind", lang), _mu(_w("sup_c_task", lang), lang),
             _mu(_w("sup_c_done", lang), lang), _w("sup_c_rate", lang), _w("sup_c_met", lang)]
    rows = []
    for t in doc["tasks"]:
        met = t["met"]
        rows.append([t["year"], t["zone"] or _w("whole_zone", lang), t["task_kind"],
                     t["task_mu"], t["done_mu"], t["rate_pct"],
                     _w("sup_cannot", lang) if met is None
                     else word_of("common", "yes" if met else "no", lang)])
    return Table("supply_tasks", _w("sup_t_tasks", lang), keys, heads, rows)


def _quota(doc: dict[str, Any], lang: str) -> Table:
    keys = ["quota_kind", "granted_mu", "rewarded_mu", "used_mu", "deducted_mu", "balance_mu",
            "shortfall_mu"]
    heads = [_field("quota_events", "quota_kind", lang),
             *(_mu(_w(f"sup_c_{k}", lang), lang)
               for k in ("granted", "rewarded", "used", "deducted", "balance", "shortfall"))]
    rows = [[q[k] for k in keys] for q in doc["quota"]]
    return Table("supply_quota", _w("sup_t_quota", lang), keys, heads, rows)


def _plan(doc: dict[str, Any], lang: str) -> Table:
    keys = ["use", "planned_mu", "supplied_mu", "rate_pct"]
    heads = [_field("supply_plan", "use", lang), _mu(_w("sup_c_planned", lang), lang),
             _mu(_w("sup_c_supplied", lang), lang), _w("sup_c_exec", lang)]
    rows = [[p[k] for k in keys] for p in doc["plan"]]
    return Table("supply_plan", _w("sup_t_plan", lang), keys, heads, rows)


def _years(s: SupplySummary, doc: dict[str, Any], lang: str) -> Table:
    y = doc["years"]
    by_cat = s.suppliable.groupby("category")["area_m2"].agg(exact_sum)
    years = next(f for f in doc["figures"] if f["figure"] == "years_left")["value"]
    rows: list[list[Any]] = [[_w("sup_r_suppliable", lang), y["suppliable_mu"]]]
    rows += [[f"  {label('supply_category', c, lang)}（{c}）" if lang == "zh"
              else f"  {label('supply_category', c, lang)} ({c})",
              s.mu(float(by_cat.get(c, 0.0)))]
             for c in ("E1", "E21", "E22")]
    rows += [[_w("sup_r_supplied3", lang) + f" {y['first_year']}—{y['last_year']}",
              y["supplied_mu"]],
             [_w("sup_r_mean", lang), y["mean_mu"]],
             [_w("sup_r_years", lang), _w("sup_cannot", lang) if years is None else years]]
    return Table("supply_years", _w("sup_t_years", lang), ["item", "value"],
                 [word_of("common", "item", lang), word_of("common", "value_col", lang)], rows)
