"""The work-report paragraph (工作报告) of the land report, phrased from its figures (pure)."""

from __future__ import annotations

from typing import Any

from landuse.report.reclamation import IDLE_STAGES
from landuse.report.text import fmt1, label, word

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
        if f.get("expected_output_wan"):
            s += f"，预计可新增年产值{_yi(f['expected_output_wan'])}亿元"
        clause = _auctions_zh(f)
        if clause:
            s += "；" + clause
        parts = [f"{stages[k]['parcels']}宗（{fmt1(stages[k]['area_mu'])}亩）{label('stage', k)}"
                 for k in IDLE_STAGES if stages[k]["parcels"]]
        if parts:
            s += "；闲置土地中" + "，".join(parts)
        s += "。"
        if f["reclaimed_more_than_once"]:
            k = len(f["reclaimed_more_than_once"])
            s += f"（其中{k}宗地期内盘活不止一次，面积只计一次。）"
        return s + _tail_zh(f)

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
    s += f". {n(f['new_enterprises'], 'new enterprise', 'new enterprises')} moved in"
    if f.get("expected_output_wan"):
        s += (f", expected to add {_yi(f['expected_output_wan'])} hundred million yuan of "
              "annual output")
    s += "."
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
        judicial = all(f.get(f"{k}_judicial") for k, x in (("auctions_completed", k1),
                                                            ("auctions_started", k2)) if x)
        named = f.get("auctions_completed_holders") if k1 else None
        if named:
            auc[0] = ("online auctions of the idle property of " if k1 > 1 else
                      "the online auction of the idle property of ") + ", ".join(
                f"{h} ({fmt1(a)} mu)" for h, a in zip(named, f["auctions_completed_mu"],
                                                       strict=True)) + \
                (" were completed" if k1 > 1 else " was completed")
        s += " " + ("Through judicial procedures, " if judicial else "") + \
            " and ".join(auc) + "."
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
    return s + _tail_en(f)


def _yi(wan: float) -> str:
    """万元 as 亿元 with up to two decimals (``12.5``, ``0.35``)."""
    return f"{round(wan / 10000.0, 2):g}"


def _auctions_zh(f: dict[str, Any]) -> str:
    """The auction clause: by enterprise when the ledger names every one
    (完成了金灶实业146亩、旺盛煤业26亩闲置不动产网上竞卖), else by count; judicial auctions
    (method ``judicial_auction``) "通过司法程序"."""
    parts = []
    for key, done in (("auctions_completed", True), ("auctions_started", False)):
        if not f[key]:
            continue
        areas, names = f[f"{key}_mu"], f.get(f"{key}_holders")
        verb = "完成" if done else "启动"
        if names:
            txt = f"{verb}了" + "、".join(f"{h}{fmt1(a)}亩" for h, a in zip(names, areas,
                                                                          strict=True))
            txt += "闲置不动产网上竞卖"
        else:
            txt = (f"{verb}网上竞卖闲置资产" if done else f"{verb}网上竞卖") + \
                f"{f[key]}宗（" + "、".join(f"{fmt1(a)}亩" for a in areas) + "）"
        parts.append((f.get(f"{key}_judicial", False), txt))
    if not parts:
        return ""
    if all(j for j, _ in parts):
        return "通过司法程序" + "，".join(t for _, t in parts)
    return "，".join(("通过司法程序" if j else "") + t for j, t in parts)


def _tail_zh(f: dict[str, Any]) -> str:
    """The enforcement counts and the lead total, as sentences after the figures."""
    s = ""
    enf = f.get("enforcement") or {}
    if any(v["parcels"] for v in enf.values()):
        s += "排查发现" + "、".join(f"{word('enf_' + k)}{v['parcels']}宗（{fmt1(v['area_mu'])}亩）"
                                 for k, v in enf.items()) + "。"
    lead = f.get("recovery_lead") or {}
    if lead.get("parcels"):
        s += f"下一步，重点做好{lead['parcels']}宗{fmt1(lead['area_mu'])}亩闲置土地的清收工作。"
    return s


def _tail_en(f: dict[str, Any]) -> str:
    s = ""
    enf = f.get("enforcement") or {}
    if any(v["parcels"] for v in enf.values()):
        items = [f"{word('enf_' + k, 'en')} on {v['parcels']} "
                 f"{'parcel' if v['parcels'] == 1 else 'parcels'} ({fmt1(v['area_mu'])} mu)"
                 for k, v in enf.items()]
        s += " Checks found " + ", ".join(items[:-1]) + " and " + items[-1] + "."
    lead = f.get("recovery_lead") or {}
    if lead.get("parcels"):
        k = lead["parcels"]
        s += (f" Next, the focus is recovering {k} {'parcel' if k == 1 else 'parcels'} "
              f"({fmt1(lead['area_mu'])} mu) of idle land.")
    return s
