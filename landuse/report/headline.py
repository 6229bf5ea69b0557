"""The work-report paragraph (工作报告) of the land report, phrased from its figures (pure)."""

from __future__ import annotations

from typing import Any

from landuse.report.reclamation import IDLE_STAGES
from landuse.report.text import fmt1, label

__all__ = ["headline"]


def headline(lang: str, period: str, zone_label: str, f: dict[str, Any]) -> str:
    """The work-report paragraph, built from the figures.

    Parameters
    ----------
    lang : {"zh", "en"}
    period : str
        The period's label (``2023年1—10月``).
    zone_label : str
        The sub-park, or the whole zone's name.
    f : dict
        The figures of :func:`landuse.report.reclamation.reclamation_figures`.
    """
    bym: dict[str, float] = f["reclaimed_by_method_mu"]
    stages = f["idle_by_stage"]
    if lang == "zh":
        s = (f"{period}，{zone_label}清理僵尸企业{f['zombie_enterprises_cleared']}家、"
             f"盘活闲置用地{fmt1(f['reclaimed_mu'])}亩")
        items = [(label("method", None if k == "not_recorded" else k, "zh"), v)
                 for k, v in bym.items()]
        if items:
            first, *rest = items
            s += f"，其中通过{first[0]}方式盘活了{fmt1(first[1])}亩"
            s += "".join(f"、{m}{fmt1(v)}亩" for m, v in rest)
        s += f"；新入驻企业{f['new_enterprises']}家"
        auc = []
        if f["auctions_completed"]:
            auc.append(f"完成网上竞卖闲置资产{f['auctions_completed']}宗（"
                       + "、".join(f"{fmt1(a)}亩" for a in f["auctions_completed_mu"]) + "）")
        if f["auctions_started"]:
            auc.append(f"启动网上竞卖{f['auctions_started']}宗（"
                       + "、".join(f"{fmt1(a)}亩" for a in f["auctions_started_mu"]) + "）")
        if auc:
            s += "；" + "，".join(auc)
        parts = [f"{stages[k]['parcels']}宗（{fmt1(stages[k]['area_mu'])}亩）{label('stage', k)}"
                 for k in IDLE_STAGES if stages[k]["parcels"]]
        if parts:
            s += "；闲置土地中" + "，".join(parts)
        s += "。"
        if f["reclaimed_more_than_once"]:
            k = len(f["reclaimed_more_than_once"])
            s += f"（其中{k}宗地期内盘活不止一次，面积只计一次。）"
        return s

    def n(x: int, one: str, many: str) -> str:
        return f"{x} {one if x == 1 else many}"

    s = (f"In {period} the {zone_label} cleared "
         f"{n(f['zombie_enterprises_cleared'], 'zombie enterprise', 'zombie enterprises')} and "
         f"brought {fmt1(f['reclaimed_mu'])} mu of idle land back into use")
    items = [(label("method", None if k == "not_recorded" else k, "en"), v)
             for k, v in bym.items()]
    if items:
        txt = [f"{fmt1(v)} mu by {m}" for m, v in items]
        s += ": " + (", ".join(txt[:-1]) + " and " + txt[-1] if len(txt) > 1 else txt[0])
    s += f". {n(f['new_enterprises'], 'new enterprise', 'new enterprises')} moved in."
    auc = []
    k1, k2 = f["auctions_completed"], f["auctions_started"]
    if k1:
        auc.append(f"{n(k1, 'online auction', 'online auctions')} of idle assets "
                   f"{'was' if k1 == 1 else 'were'} completed ("
                   + ", ".join(f"{fmt1(a)} mu" for a in f["auctions_completed_mu"]) + ")")
    if k2:
        what = f"{k2}" if k1 else n(k2, "online auction", "online auctions")
        auc.append(f"{what} {'was' if k2 == 1 else 'were'} started ("
                   + ", ".join(f"{fmt1(a)} mu" for a in f["auctions_started_mu"]) + ")")
    if auc:
        s += " " + " and ".join(auc) + "."
    parts = [f"{n(stages[k]['parcels'], 'parcel', 'parcels')} ({fmt1(stages[k]['area_mu'])} mu) "
             f"{'is' if stages[k]['parcels'] == 1 else 'are'} {label('stage', k, 'en')}"
             for k in IDLE_STAGES if stages[k]["parcels"]]
    if parts:
        s += " Of the idle land, " + (", ".join(parts[:-1]) + " and " + parts[-1]
                                      if len(parts) > 1 else parts[0]) + "."
    if f["reclaimed_more_than_once"]:
        k = len(f["reclaimed_more_than_once"])
        s += (f" ({n(k, 'parcel was', 'parcels were')} brought back more than once in the "
              "period; each is counted once.)")
    return s
