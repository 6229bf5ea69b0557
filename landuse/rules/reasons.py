"""The assessment's ``reasons``: one sentence per finding, in Chinese or English, in one place.

:func:`sentences` reads the rule families' results (:class:`~landuse.rules.findings.Findings`)
and adds, for every finding, its sentence under a key naming the finding (``lifecycle:<code>``,
``idle:<type>``, ``indicator:<code>``, ``flag:<code>``, ``mujun:…``, ``contradiction:…``,
``unjudged:…``, ``cause:…``, ``fee:…``, ``note:…``). No rule is decided here: a mask is at
most narrowed to choose between wordings of the same finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.labels import has_label, label
from landuse.rules._text import Date, Label, Num, Pct, Piece, Sentences, Txt, join_codes
from landuse.rules.columns import ok
from landuse.rules.findings import Findings
from landuse.rules.idle import BASE_SOURCES
from landuse.rules.mujun import CLASSES
from landuse.rules.ruleset import Ruleset
from landuse.standard import code_label, field_name_zh, get_standard

__all__ = ["CHANGE_SENTENCES", "change_sentence", "sentences"]

def _fz(name: str) -> str:
    """A field for a Chinese sentence: its Chinese name only (the English name is for en)."""
    return field_name_zh(name)


def _ind(code: str) -> str:
    """Chinese name of a low-efficiency indicator, from the standard (``failed_indicator``)."""
    return code_label("failed_indicator", code, "zh")


LAW_ZH = "《闲置土地处置办法》"
"""The idle-land measures (Order 53 of 2012) as a Chinese sentence names them."""
LAW_EN = "Order 53 (2012)"


def _years_zh(k: int) -> str:
    """Years in a Chinese sentence: 一 to 五 (两 for two, as in 两年), else digits."""
    return "一两三四五"[k - 1] if 1 <= k <= 5 else str(k)


def sentences(f: Findings, rs: Ruleset, lang: str, track_keys: bool = False) -> Sentences:
    """Every parcel's sentences, in the order the findings are reported.

    Parameters
    ----------
    f : Findings
        The rule families' results.
    rs : Ruleset
        The rules (thresholds and labels named in the sentences).
    lang : {"zh", "en"}
    track_keys : bool
        Keep the key of every sentence (:meth:`Sentences.keys`), for tests.
    """
    S = Sentences(f.n, lang, track_keys)
    _stage(S, f)
    fee = _FeeWords(f)
    _not_started(S, f, fee)
    _stalled(S, f, fee, lang)
    _causes(S, f)
    _clock(S, f)
    _efficiency(S, f, rs, lang)
    _mujun(S, f, rs, lang)
    _flags(S, f)
    _contradictions(S, f)
    return S


def _stage(S: Sentences, f: Findings) -> None:
    p, lc = f.progress, f.lifecycle
    dS, dA, dC, dPr = Date(p.supply), Date(p.approval), Date(p.completion), Date(p.production)
    au = lc.is_("approved_unsupplied")
    k = "lifecycle:"
    S.add(
        lc.is_("unknown"),
        ["无法判定五未阶段:缺少", _fz("approval_date"), "和", _fz("supply_date"), "。"],
        ["Lifecycle stage not judged: approval_date and supply_date are missing."],
        k + "unknown",
    )
    S.add(
        au & p.approved & ~p.supply_future,
        ["已批准(批准日期", dA, ")未供地,属批而未供。"],
        ["Approved (", dA, ") but not supplied: approved_unsupplied."],
        k + "approved_unsupplied",
    )
    S.add(
        au & p.supply_future,
        ["供地日期", dS, "晚于评估基准日,按未供地计,属批而未供。"],
        ["Supply date ", dS, " is after the as-of date, so not yet supplied: approved_unsupplied."],
        k + "approved_unsupplied",
    )
    S.add(
        lc.is_("supplied_unused"),
        ["已供地(供地日期", dS, ")未动工,属供而未用。"],
        ["Supplied (", dS, ") but not started: supplied_unused."],
        k + "supplied_unused",
    )
    S.add(
        lc.is_("used_incomplete"),
        ["已动工未竣工,属用而未尽。"],
        ["Started but not completed: used_incomplete."],
        k + "used_incomplete",
    )
    S.add(
        lc.is_("built_not_producing"),
        ["已竣工(竣工日期", dC, ")未投产,属建而未投。"],
        ["Completed (", dC, ") but not in production: built_not_producing."],
        k + "built_not_producing",
    )
    st_lab_zh = ("正常经营", "已停产", "为僵尸企业", "已破产")
    st_lab_en = ("operating", "stopped", "a zombie enterprise", "bankrupt")
    st_codes = np.maximum(lc.status[0], 0)
    below = lc.is_("producing_below_target")
    S.add(
        below & lc.bad_status,
        ["已投产(投产日期", dPr, ")但企业", Label(st_codes, st_lab_zh), ",属投而未达。"],
        ["In production (", dPr, ") but the enterprise is ", Label(st_codes, st_lab_en),
         ": producing_below_target."],
        k + "producing_below_target",
    )
    failed = Txt(join_codes(f.n, f.efficiency.failed()))
    failed_zh = Txt(join_codes(
        f.n, {_ind(c): m for c, m in f.efficiency.failed().items()}, "、"))
    S.add(
        below & ~lc.bad_status,
        ["已投产(投产日期", dPr, ")但", failed_zh, "未达标,属投而未达。"],
        ["In production (", dPr, ") but fails indicators (", failed,
         "): producing_below_target."],
        k + "producing_below_target",
    )
    S.add(
        lc.is_("in_use"),
        ["已投产(投产日期", dPr, "),属正常使用。"],
        ["In production since ", dPr, ": in_use."],
        k + "in_use",
    )


class _FeeWords:
    """The fee and recovery clauses shared by both kinds of idle land."""

    def __init__(self, f: Findings) -> None:
        c = f.idle.consequences
        share = Pct(np.full(f.n, c.fee_share), 0)
        price = Num(c.land_price_wan)
        rk = _years_zh(c.recovery_years)
        self.fee_zh: list[Piece] = [";依第十四条按土地价款", price, "万元的", share,
                                    "%征缴闲置费", Num(c.fee_wan), "万元"]
        self.fee_en: list[Piece] = ["; idle fee (Art. 14) ", share, " % of the land price ",
                                    price, " = ", Num(c.fee_wan), " (10k yuan)"]
        self.rec_zh: list[Piece] = [",且满", rk, "年可报请无偿收回"]
        self.rec_only_zh: list[Piece] = [";满", rk, "年,依第十四条可报请无偿收回"]
        self.rec_en: list[Piece] = [
            f"; {c.recovery_years} years or more: may be recovered without compensation "
            "(Art. 14)"
        ]
        self.unpriced_zh: list[Piece] = ["应依", LAW_ZH, "第十四条按土地价款", share,
                                         "%征缴闲置费,但缺少", _fz("land_price_wan"),
                                         ",无法计算金额。"]
        self.unpriced_en: list[Piece] = ["An idle fee of ", share,
                                         f" % of the land price is due ({LAW_EN} Art. 14), "
                                         "but land_price_wan is missing."]
        self.c = c

    def variants(self) -> list[tuple[np.ndarray, list[Piece], list[Piece]]]:
        """(mask, zh clause, en clause) for fee and recovery, with and without each."""
        out = []
        c = self.c
        for has_fee in (True, False):
            for has_rec in (True, False):
                m = (c.fee_priced if has_fee else ~c.fee_priced) & (
                    c.recovery if has_rec else ~c.recovery
                )
                rec_zh = self.rec_zh if has_fee else self.rec_only_zh
                zh = [*(self.fee_zh if has_fee else []), *(rec_zh if has_rec else [])]
                en = [*(self.fee_en if has_fee else []), *(self.rec_en if has_rec else [])]
                out.append((m, zh, en))
        return out


def _not_started(S: Sentences, f: Findings, fee: _FeeWords) -> None:
    p, ns = f.progress, f.idle.not_started
    k_idle, k_del = ns.years, ns.delivery_years
    nk_zh = _years_zh(k_idle)
    dBase, dDel, dP = Date(ns.base), Date(p.delivery), Date(p.start)
    over = Num(ns.overdue_days, 0)
    base_words = [
        ("按" + LAW_ZH + "第十二条延长的动工期限", "the start date extended under Art. 12, ",
         Date(p.extension)),
        ("约定动工日期", "the agreed start date ", Date(p.agreed)),
    ]
    delivery = BASE_SOURCES.index("delivery_date")
    for m_c, fz, fe in fee.variants():
        for src_i, (lab_zh, lab_en, dsrc) in enumerate(base_words):
            S.add(
                ns.idle & (ns.base_source == src_i) & m_c,
                [lab_zh, dsrc, "起满", nk_zh, "年未动工(已逾期", over, "天),依", LAW_ZH,
                 "第二条属闲置土地", *fz, "。"],
                [f"Not started {k_idle} full year(s) after ", lab_en, dsrc, " (", over,
                 f" days overdue): idle land under {LAW_EN} Art. 2", *fe, "."],
                "idle:not_started",
            )
        S.add(
            ns.idle & (ns.base_source == delivery) & m_c,
            ["未约定动工日期,以交地日期", dDel, "后", str(k_del), "年即", dBase,
             "为动工日期,起满", nk_zh, "年未动工(已逾期", over, "天),依", LAW_ZH,
             "第二条属闲置土地", *fz, "。"],
            ["No agreed start date: start date taken as delivery ", dDel,
             f" + {k_del} year(s) = ", dBase, f"; not started {k_idle} full year(s) after it (",
             over, f" days overdue): idle land under {LAW_EN} Art. 2", *fe, "."],
            "idle:not_started",
        )
    left = Num(ns.days_left, 0)
    ext = BASE_SOURCES.index("extension_until")
    S.add(
        ns.not_yet & (ns.base_source == ext),
        ["按", LAW_ZH, "第十二条延长的动工期限", dBase, "起未满", nk_zh, "年,尚不构成闲置(还差",
         left, "天,第二条)。"],
        [f"Not yet {k_idle} full year(s) after the start date extended under {LAW_EN} "
         "Art. 12, ", dBase, " (", left, " days to go): not idle (Art. 2)."],
        "note:not_yet_idle",
    )
    S.add(
        ns.not_yet & (ns.base_source != ext),
        ["动工期限基准日", dBase, "起未满", nk_zh, "年,尚不构成闲置(还差", left, "天,", LAW_ZH,
         "第二条)。"],
        [f"Not yet {k_idle} full year(s) after the start date ", dBase, " (", left,
         f" days to go): not idle ({LAW_EN} Art. 2)."],
        "note:not_yet_idle",
    )
    S.add(ns.idle & fee.c.fee_unpriced, fee.unpriced_zh, fee.unpriced_en, "fee:unpriced")
    S.add(
        ns.unknown,
        ["已供地未动工,但缺少", _fz("agreed_start_date"), "、", _fz("extension_until"), "和",
         _fz("delivery_date"), ",无法判定是否闲置。"],
        ["Supplied and not started, but agreed_start_date, extension_until and delivery_date "
         "are all missing: idleness cannot be judged."],
        "unjudged:not_started",
    )
    S.add(
        p.start_ignored,
        ["动工依据为未动工,实际动工日期", dP, "不计为动工。"],
        ["start_evidence is none, so the start_date ", dP, " does not count as a start."],
        "note:start_ignored",
    )


def _stalled(S: Sentences, f: Findings, fee: _FeeWords, lang: str) -> None:
    st = f.idle.stalled
    n, comb, k_st = f.n, st.combinator, st.years
    comb_zh = "或" if comb == "or" else "且"
    dev, inv = Pct(st.developed_share), Pct(st.invested_share)
    dev_t, inv_t = Pct(np.full(n, st.developed_below)), Pct(np.full(n, st.invested_below))
    dev_zh: list[Piece] = ["已开发面积占宗地", dev, "%(低于", dev_t, "%)"]
    inv_zh: list[Piece] = ["已投资额占总投资", inv, "%(低于", inv_t, "%)"]
    dev_en: list[Piece] = ["developed area is ", dev, " % of the parcel (below ", dev_t, " %)"]
    inv_en: list[Piece] = ["investment ", inv, " % of the total (below ", inv_t, " %)"]
    lo_d, lo_i = st.developed_low, st.invested_low
    findings: list[tuple[np.ndarray, list[Piece], list[Piece]]] = [
        (lo_d & lo_i, [*dev_zh, "且", *inv_zh], [*dev_en, " and ", *inv_en]),
        (lo_d & ~lo_i, dev_zh, dev_en),
        (~lo_d & lo_i, inv_zh, ["investment is ", *inv_en[1:]]),
    ]
    sk_zh = _years_zh(k_st)
    dSu = Date(f.progress.suspended)
    days = Num(st.days_suspended, 0)
    for m_ratio, pz, pe in findings:
        for m_c, fz, fe in fee.variants():
            S.add(
                st.idle & m_ratio & m_c,
                ["自", dSu, "中止开发满", sk_zh, "年(已", days, "天),", *pz,
                 f",按“{comb_zh}”判定,依", LAW_ZH, "第二条属中止开发闲置", *fz, "。"],
                ["Development suspended since ", dSu, f" for {k_st} full year(s) (", days,
                 " days) and ", *pe, f" (combinator '{comb}'): stalled idle land under "
                 f"{LAW_EN} Art. 2", *fe, "."],
                "idle:stalled",
            )
    S.add(st.idle & fee.c.fee_unpriced, fee.unpriced_zh, fee.unpriced_en, "fee:unpriced")
    sep = "、" if lang == "zh" else ", "
    names = Txt(join_codes(
        n, {(_fz(k) if lang == "zh" else k): m for k, m in st.missing.items()}, sep
    ))
    S.add(
        st.unknown,
        ["自", dSu, "中止开发满", sk_zh, "年,但缺少", names,
         f",无法按“{comb_zh}”判定是否闲置。"],
        ["Development suspended since ", dSu, f" for {k_st} full year(s), but ", names,
         f" missing: stalled idleness cannot be judged (combinator '{comb}')."],
        "unjudged:stalled",
    )
    _not_stalled(S, f, lang)


def _not_stalled(S: Sentences, f: Findings, lang: str) -> None:
    """Why a parcel under development is not stalled idle land (Art. 2, case B)."""
    st = f.idle.stalled
    n, comb, sk_zh = f.n, st.combinator, _years_zh(st.years)
    comb_zh = "或" if comb == "or" else "且"
    dSu, days = Date(f.progress.suspended), Num(st.days_suspended, 0)
    S.add(
        st.no_suspension,
        ["已动工在建,未记录本次供地后的中止开发日期,不属", LAW_ZH, "第二条所称中止开发闲置。"],
        ["Under development with no suspension recorded since the current supply: not "
         f"stalled idle land ({LAW_EN} Art. 2)."],
        "note:not_stalled",
    )
    S.add(
        st.short_suspension,
        ["自", dSu, "中止开发未满", sk_zh, "年(已", days, "天),尚不构成", LAW_ZH,
         "第二条所称中止开发闲置。"],
        ["Development suspended since ", dSu, " (", days, f" days), less than {st.years} "
         f"full year(s): not stalled idle land ({LAW_EN} Art. 2)."],
        "note:not_stalled",
    )
    dev, inv = Pct(st.developed_share), Pct(st.invested_share)
    dev_t, inv_t = Pct(np.full(n, st.developed_below)), Pct(np.full(n, st.invested_below))
    dk, ik = np.isfinite(st.developed_share), np.isfinite(st.invested_share)
    parts: list[tuple[np.ndarray, list[Piece], list[Piece]]] = [
        (dk & ik, ["已开发面积占宗地", dev, "%、已投资额占总投资", inv, "%"],
         ["developed area ", dev, " % of the parcel, investment ", inv, " % of the total"]),
        (dk & ~ik, ["已开发面积占宗地", dev, "%"], ["developed area ", dev, " % of the parcel"]),
        (~dk & ik, ["已投资额占总投资", inv, "%"], ["investment ", inv, " % of the total"]),
    ]
    for m, pz, pe in parts:
        S.add(
            st.shares_ok & m,
            ["自", dSu, "中止开发满", sk_zh, "年,但", *pz, "(闲置标准:已开发面积低于", dev_t,
             f"%{comb_zh}已投资额低于", inv_t, "%),不属", LAW_ZH, "第二条所称中止开发闲置。"],
            ["Development suspended since ", dSu, f" for {st.years} full year(s), but ", *pe,
             " (idle below ", dev_t, f" % {comb} ", inv_t, f" %): not stalled idle land "
             f"({LAW_EN} Art. 2)."],
            "note:not_stalled",
        )


def _causes(S: Sentences, f: Findings) -> None:
    c = f.idle.consequences
    S.add(
        c.check_cause,
        ["闲置原因未记录,须核实是否属政府原因或不可抗力;核实前按用地单位原因处理。"],
        ["The cause of the delay (delay_cause) is not recorded: it must be checked whether "
         "the government or force majeure caused it; until then it is treated as the holder's."],
        "cause:unrecorded",
    )
    cause_lab_zh = ("用地单位原因", "政府原因", "不可抗力", "原因不明")
    cause_lab_en = ("the holder", "the government", "force majeure", "an unknown cause")
    cause_codes = np.maximum(c.cause[0], 0)
    S.add(
        c.exempt & ~c.late_government,
        ["闲置系", Label(cause_codes, cause_lab_zh),
         "造成,依", LAW_ZH, "第八条不征缴闲置费、不无偿收回,应依第十二条协商处置:"
         "延长动工期限(不超过一年)、调整土地用途或规划条件、由政府安排临时使用(不超过两年)、"
         "协议有偿收回、置换土地或其他方式。"],
        ["The delay was caused by ", Label(cause_codes, cause_lab_en),
         f": no idle fee and no recovery ({LAW_EN} Art. 8); negotiate a disposal (Art. 12): "
         "extend the start date (at most "
         "one year), change the use or planning conditions, temporary use arranged by the "
         "government (at most two years), negotiated paid recovery, a land swap, or another "
         "method."],
        "cause:exempt",
    )
    p, by_contract = f.progress, f.idle.not_started.late_vs_contract
    dDel, dAg, dCD = Date(p.delivery), Date(p.agreed), Date(p.contract_delivery)
    late: tuple[tuple[np.ndarray, list[Piece], list[Piece]], ...] = (
        (by_contract,
         ["交地日期", dDel, "晚于合同约定交地日期", dCD, ",未按合同约定期限交付土地"],
         ["The land was delivered on ", dDel, ", after the contract delivery date ", dCD]),
        (~by_contract,
         ["交地日期", dDel, "晚于约定动工日期", dAg, ",未按约定交付土地致不能动工"],
         ["The land was delivered on ", dDel, ", after the agreed start date ", dAg]),
    )
    for m, zh, en in late:
        S.add(
            c.late_government & m,
            [*zh, ",闲置原因未记录,依", LAW_ZH,
             "第八条第一项按政府原因处理,不征缴闲置费、不无偿收回,应依第十二条协商处置。"],
            [*en, f", and no cause is recorded: a government cause ({LAW_EN} Art. 8(1)); "
             "no idle fee and no recovery; negotiate a disposal (Art. 12)."],
            "cause:late_delivery",
        )
        S.add(
            c.late_but_holder & m,
            [*zh, ",依", LAW_ZH,
             "第八条第一项可能属政府原因,但闲置原因记录为用地单位原因,请核实。"],
            [*en, f", which {LAW_EN} Art. 8(1) makes a government cause, but the cause is "
             "recorded as the holder's; check it."],
            "cause:late_delivery_holder",
        )


def _clock(S: Sentences, f: Findings) -> None:
    """What the idle clock does not use: the former holder's progress, bad extensions."""
    p, ns = f.progress, f.idle.not_started
    dS = Date(p.supply)
    names = {
        "start": "start_date",
        "suspended": "suspended_since",
        "completion": "completion_date",
        "production": "production_date",
    }
    for key, field in names.items():
        d = Date(p.recorded[key])
        S.add(
            p.former[key],
            [f"{field_name_zh(field)}", d, "早于本次供地日期", dS,
             ",属原用地单位的记录,不计入现用地单位的开发进度和闲置期限。"],
            [f"{field} ", d, " is before the current supply date ", dS,
             ": the former holder's record, not counted for the current holder."],
            "note:former_holder",
        )
    dE, dAg = Date(p.extension), Date(p.agreed)
    k = ns.extension_max_years
    S.add(
        ns.ext_before_agreed,
        ["记录矛盾:延长动工期限至", dE, "早于约定动工日期", dAg, ",不是", LAW_ZH,
         "第十二条所称延长动工开发期限,不作为动工期限基准,请核对。"],
        ["Records contradict: extension_until ", dE, " is before the agreed start date ", dAg,
         f", so it is no extension under {LAW_EN} Art. 12; not used as the start of the "
         "clock, check it."],
        "contradiction:extension_before_agreed",
    )
    S.add(
        ns.ext_too_long,
        ["记录矛盾:延长动工期限至", dE, ",距约定动工日期", dAg, "超过", _years_zh(k), "年,",
         LAW_ZH, "第十二条第一项规定延长动工开发期限最长不得超过一年,不作为动工期限基准,请核对。"],
        ["Records contradict: extension_until ", dE, f" is more than {k} year(s) after the "
         "agreed start date ", dAg, f" ({LAW_EN} Art. 12(1) allows at most one year); not "
         "used as the start of the clock, check it."],
        "contradiction:extension_too_long",
    )


def _land_use_words(f: Findings) -> tuple[Label, Label]:
    """The registered land use of every parcel, in Chinese and in English."""
    lu_arr, lu_en = f.efficiency.land_use
    lu_zh = tuple(get_standard().codes["land_use"][c][0] for c in lu_en)
    codes = np.maximum(lu_arr, 0)
    return Label(codes, lu_zh), Label(codes, lu_en)


def _industry_ref(f: Findings) -> tuple[Txt, Txt]:
    """The 容积率 row a parcel was read by: ``34``, or ``2017版39,对应2002版40``."""
    e = f.efficiency
    ic = e.codes
    zh = np.full(f.n, None, dtype=object)
    en = np.full(f.n, None, dtype=object)
    for i in np.flatnonzero(pd.notna(e.industry)):
        if ic.mapped[i]:
            zh[i] = f"{ic.edition[i]}版{ic.division[i]},对应2002版{e.industry[i]}"
            en[i] = (f"{ic.division[i]} of {ic.edition[i]}, read as 2002 "
                     f"{e.industry[i].replace('、', ', ')}")
        else:
            zh[i] = e.industry[i]
            en[i] = e.industry[i].replace("、", ", ")
    return Txt(zh), Txt(en)


def _efficiency(S: Sentences, f: Findings, rs: Ruleset, lang: str) -> None:
    e = f.efficiency
    ind = e.indicators
    far, cov, adm, grn = ind["far"], ind["coverage"], ind["admin_share"], ind["green_ratio"]
    inv, tax = ind["invest_intensity"], ind["tax_per_mu"]
    ind_txt = Txt(e.industry_name)
    ref_zh, ref_en = _industry_ref(f)
    lu_zh, lu_en = _land_use_words(f)
    S.add(
        e.not_applicable,
        ["土地用途为", lu_zh, ",不适用工业项目建设用地控制指标(", _ind("far"), "、",
         _ind("coverage"), "等),不作低效用地判定。"],
        ["Land use ", lu_en, ": the industrial control indicators do not apply (not "
         "applicable)."],
        "not_applicable:indicators",
    )
    S.add(
        e.land_use_unrecorded,
        ["未记录", _fz("land_use"), ",按适用控制指标的用途判定。"],
        ["land_use is not recorded: judged as a land use the control indicators apply to."],
        "note:land_use_unrecorded",
    )
    nat = Num(e.national_far)
    fc = far.from_contract if far.from_contract is not None else np.zeros(f.n, dtype=bool)
    has_nat = np.isfinite(e.national_far)
    t_far = Num(f.efficiency.indicators["far"].threshold)
    S.add(
        far.failed & ~fc,
        [_ind("far"), Num(far.value), ",低于控制指标", t_far, "(", ind_txt, ",行业代码", ref_zh,
         ")。"],
        ["Floor-area ratio ", Num(far.value), " is below the minimum ", t_far,
         " for industry ", ref_en, "."],
        "indicator:far",
    )
    S.add(
        far.failed & fc & has_nat,
        [_ind("far"), Num(far.value), ",低于合同约定容积率", t_far, "(严于", ind_txt, "控制指标",
         nat, ",按合同约定判定)。"],
        ["Floor-area ratio ", Num(far.value), " is below the contract's ", t_far,
         " (stricter than the national minimum ", nat, " for industry ", ref_en, ")."],
        "indicator:far",
    )
    S.add(
        far.failed & fc & ~has_nat,
        [_ind("far"), Num(far.value), ",低于合同约定容积率", t_far, "。"],
        ["Floor-area ratio ", Num(far.value), " is below the contract's ", t_far, "."],
        "indicator:far",
    )
    amb = e.judged & e.codes.ambiguous & has_nat
    S.add(
        amb,
        ["行业代码", Txt(e.codes.division), "(", Txt(e.codes.edition),
         "版)在大类层面对应2002版", Txt(e.industry), "(", ind_txt, "),无法区分,",
         _ind("far"), "按其中较低的控制指标", nat, "判定;请提供四位行业代码。"],
        ["Industry code ", Txt(e.codes.division), " (", Txt(e.codes.edition),
         " edition) stands for 2002 divisions ",
         Txt(np.array([None if v is None else v.replace("、", ", ") for v in e.industry],
                      dtype=object)),
         " at division level (ambiguous): the floor-area ratio is judged against the lowest "
         "of their minimums, ", nat, "; give the four-digit code."],
        "note:industry_ambiguous",
    )
    S.add(
        cov.failed,
        [_ind("coverage"), Pct(cov.value), "%,低于控制指标", Pct(cov.threshold), "%。"],
        ["Building coverage ", Pct(cov.value), " % is below ", Pct(cov.threshold), " %."],
        "indicator:coverage",
    )
    S.add(
        adm.failed,
        ["行政办公及生活服务设施用地所占比重", Pct(adm.value), "%,高于控制指标",
         Pct(adm.threshold), "%。"],
        ["Office and living facilities take ", Pct(adm.value), " % of the land, above ",
         Pct(adm.threshold), " %."],
        "indicator:admin_share",
    )
    S.add(
        grn.failed,
        [_ind("green_ratio"), Pct(grn.value), "%,高于控制指标", Pct(grn.threshold), "%。"],
        ["Green ratio ", Pct(grn.value), " % is above ", Pct(grn.threshold), " %."],
        "indicator:green_ratio",
    )
    has_target = np.isfinite(inv.threshold) | np.isfinite(tax.threshold)
    pending = e.before_review & has_target
    dR = Date(e.review)
    dated = ok(e.review)
    S.add(
        pending & dated,
        ["未到达产复核期(复核日期", dR, "),", _ind("invest_intensity"), "、", _ind("tax_per_mu"),
         "暂不判定。"],
        ["Before the performance review (", dR, "): investment intensity and tax per mu "
         "are not judged yet."],
        "note:before_review",
    )
    S.add(
        pending & ~dated,
        ["未到达产复核期(未投产,无复核日期),", _ind("invest_intensity"), "、",
         _ind("tax_per_mu"), "暂不判定。"],
        ["Before the performance review (not producing, no review date): investment "
         "intensity and tax per mu are not judged yet."],
        "note:before_review",
    )
    land_price = bool(rs.control["invest_includes_land_price"])
    for code, it, en_name, en_unit in (
        ("invest_intensity", inv, "Investment intensity ", " (10k yuan/mu)"),
        ("tax_per_mu", tax, "Tax per mu ", " (10k yuan)"),
    ):
        fc = it.from_contract if it.from_contract is not None else np.zeros(f.n, dtype=bool)
        src_zh, src_en = np.where(fc, "合同约定", "控制指标"), np.where(fc, "contract", "ruleset")
        land = "(含土地价款)" if code == "invest_intensity" and land_price else ""
        S.add(
            it.failed,
            [_ind(code), land, Num(it.value), "万元/亩,低于", Txt(src_zh), Num(it.threshold),
             "万元/亩。"],
            [en_name, "including the land price " if land else "", Num(it.value),
             f"{en_unit} is below the ", Txt(src_en), " target ",
             Num(it.threshold), "."],
            f"indicator:{code}",
        )
    items = _unjudged_items(f, lang)
    unj = np.zeros(f.n, dtype=bool)
    for m in items.values():
        unj |= m
    unj_txt = Txt(join_codes(f.n, items, "、" if lang == "zh" else "; "))
    S.add(
        unj,
        ["低效用地指标未能判定:", unj_txt, "。"],
        ["Low-efficiency indicators not judged: ", unj_txt, "."],
        "unjudged:indicators",
    )


def _unjudged_items(f: Findings, lang: str) -> dict[str, np.ndarray]:
    """What keeps each indicator from being judged, worded, with its mask."""
    ind = f.efficiency.indicators
    zh = lang == "zh"
    out: dict[str, np.ndarray] = {}
    for code, it in ind.items():
        for cause, m in it.missing.items():
            known = has_label("unjudged", cause)
            if zh:
                why = label("unjudged", cause, "zh") if known else f"缺少{field_name_zh(cause)}"
                out[f"{_ind(code)}({why})"] = m
            else:
                why = label("unjudged", cause, "en") if known else f"{cause} missing"
                out[f"{code} ({why})"] = m
    return out


def _mujun(S: Sentences, f: Findings, rs: Ruleset, lang: str) -> None:
    mj, rules, n = f.mujun, rs.mujun, f.n
    p = f.progress
    score, rank, count = Num(mj.score), Num(mj.rank, 0), Num(mj.count, 0)
    cls = Label(mj.class_code, CLASSES)
    before = Label(mj.class_before_veto, CLASSES)
    ent = _enterprise_words(mj, lang)
    kind = Txt(np.where(mj.below_scale, "规下企业", "规上企业") if lang == "zh"
               else np.where(mj.below_scale, "below-scale", "above-scale"))
    S.add(
        mj.rated & ~mj.vetoed,
        [ent, "亩均效益得分", score, ",在", count, "个参评", kind, "中排第", rank, "名,评为", cls,
         "类。"],
        [ent, "mu-average score ", score, ", rank ", rank, " of ", count, " rated ", kind,
         " enterprises: class ", cls, "."],
        "mujun:rated",
    )
    S.add(
        mj.vetoed,
        [ent, "亩均效益得分", score, ",在", count, "个参评", kind, "中排第", rank, "名,应为",
         before, "类,因一票否决事项调为", cls, "类。"],
        [ent, "mu-average score ", score, ", rank ", rank, " of ", count, " rated ", kind,
         " enterprises: class ", before, ", moved to ", cls, " by a veto."],
        "mujun:vetoed",
    )
    if mj.missing:
        zh = lang == "zh"
        mjm = np.zeros(n, dtype=bool)
        named: dict[str, np.ndarray] = {}
        for m in mj.missing:
            mjm |= m.mask
            name = m.label_zh if zh else f"{m.label_en} ({m.field})"
            named[name] = m.mask
        names = Txt(join_codes(n, named, "、" if zh else "; "))
        mean = rules["missing_value"] == "mean"
        S.add(
            mjm,
            ["亩均指标缺少数据,", "按平均分计" if mean else "按0分计", ":", names, "。"],
            ["Mu-average indicators without data, ", "scored as the mean" if mean else "scored 0",
             ": ", names, "."],
            "mujun:missing",
        )
    na = mj.not_applicable
    lu_zh, lu_en = _land_use_words(f)
    S.add(
        na,
        ["土地用途为", lu_zh, ",不适用亩均效益评价。"],
        ["Land use ", lu_en, ": the mu-average evaluation does not apply (class N)."],
        "not_applicable:mujun",
    )
    lc_unknown = f.lifecycle.is_("unknown") | na
    unrated = ~mj.rated
    S.add(~p.producing & ~lc_unknown & unrated, ["未投产,不参评亩均效益(T类)。"],
          ["Not in production: not rated (class T)."], "mujun:not_producing")
    S.add(~p.producing & lc_unknown & ~na & unrated,
          ["缺少", _fz("production_date"), ",不参评亩均效益(T类)。"],
          ["production_date missing: not rated (class T)."], "mujun:no_production_date")
    dPr = Date(p.production)
    S.add(
        p.producing & ~mj.long_enough & ~na,
        ["投产(", dPr, ")不满", _years_zh(mj.min_years), "年,不参评亩均效益(T类)。"],
        ["In production since ", dPr, f", under {mj.min_years} years: not rated (class T)."],
        "mujun:too_young",
    )
    amu, min_mu = Num(mj.enterprise_area_mu), Num(np.full(n, float(rules["min_area_mu"])))
    pc_n = Num(mj.parcels.astype("float64"), 0)
    S.add(
        mj.long_enough & ~mj.big_enough & np.isfinite(mj.enterprise_area_mu) & ~na,
        ["企业用地面积", amu, "亩(", pc_n, "宗地合计),不足", min_mu, "亩,不参评亩均效益(T类)。"],
        ["The enterprise's area ", amu, " mu (", pc_n, " parcels) is under ", min_mu,
         " mu: not rated (class T)."],
        "mujun:too_small",
    )
    numerators = list(dict.fromkeys(
        s["numerator"] for s in rules["indicators"].values() if s["numerator"] != "area_mu"
    ))
    nd_fields = ", ".join(numerators)
    nd_zh = "、".join(field_name_zh(x) for x in numerators)
    S.add(
        mj.no_data,
        ["亩均效益指标(", nd_zh, ")均无数据,不参评亩均效益(T类),请补充统计数据。"],
        ["No performance figure (", nd_fields,
         ") for the mu-average evaluation: not rated (class T); supply the statistics."],
        "mujun:no_data",
    )
    if not mj.veto_checked:
        vc = ", ".join(rules["veto_columns"])
        vc_zh = "、".join(rules.get("veto_names_zh") or [])
        S.add(
            mj.class_code <= CLASSES.index("B"),
            ["未提供一票否决所需数据(", vc_zh, "),未核查一票否决。"] if vc_zh
            else ["未提供一票否决所需数据,未核查一票否决。"],
            ["No veto column (", vc, ") given: veto not checked."],
            "mujun:veto_unchecked",
        )


def _enterprise_words(mj: Any, lang: str) -> Txt:
    """Who was rated: the enterprise and how many parcels its figures combine."""
    zh = lang == "zh"
    out = []
    for name, by, k, told in zip(mj.enterprise, mj.enterprise_by, mj.parcels,
                                 mj.scale_recorded, strict=True):
        if by == 2:
            head = ("未记录统一社会信用代码和用地单位,本宗地单独评价" if zh else
                    "No credit code or holder recorded, the parcel is rated alone")
        elif zh:
            head = f"按企业({name})评价," + (f"{k}宗地合并计算" if k > 1 else "仅此一宗地")
        else:
            head = f"Rated as the enterprise {name}, " + (
                f"{k} parcels combined" if k > 1 else "this parcel only")
        if not told:
            head += ",未记录是否规上,按方案默认归类" if zh else (
                ", size class not recorded, the scheme's default used")
        out.append(head + (":" if zh else ": "))
    return Txt(np.asarray(out, dtype=object))


def _flags(S: Sentences, f: Findings) -> None:
    fl = f.flags
    lu_en = fl.land_use[1]
    lu_zh = tuple(get_standard().codes["land_use"][c][0] for c in lu_en)
    obs, reg = np.maximum(fl.observed_use[0], 0), np.maximum(fl.land_use[0], 0)
    S.add(
        fl.masks["use_changed"],
        ["现状用途(", Label(obs, lu_zh), ")与登记用途(", Label(reg, lu_zh),
         ")不一致,可能擅自改变用途。"],
        ["Observed use (", Label(obs, lu_en), ") differs from the registered use (",
         Label(reg, lu_en), "): possible unauthorised change of use."],
        "flag:use_changed",
    )
    S.add(
        fl.masks["mortgaged_idle"],
        ["闲置土地已设定抵押,应通知抵押权人。"],
        ["Idle land under a mortgage: the mortgagee must be told."],
        "flag:mortgaged_idle",
    )
    cnt, area = Num(fl.outside_count, 0), Num(fl.outside_area_m2, 0)
    S.add(
        fl.masks["outside_supply"],
        ["宗地未供地,但有", cnt, "栋建筑(基底约", area,
         "平方米)不在任何已供宗地上,为非法占地线索。"],
        ["Not supplied, yet ", cnt, " building(s) (about ", area,
         " m² of footprint) stand on no supplied parcel: possible illegal occupation."],
        "flag:outside_supply",
    )
    late, od = fl.completed_late, fl.masks["overdue_completion"]
    dAg, days = Date(fl.agreed_completion), Num(fl.completion_late_days, 0)
    S.add(
        od & ~late,
        ["约定竣工日期", dAg, ",至评估基准日未竣工,逾期", days, "天,属逾期竣工。"],
        ["Agreed completion date ", dAg, ": not completed by the as-of date, ", days,
         " days overdue (completion overdue)."],
        "flag:overdue_completion",
    )
    S.add(
        od & late,
        ["约定竣工日期", dAg, ",实际竣工日期", Date(f.progress.completion), ",逾期", days,
         "天竣工,属逾期竣工。"],
        ["Agreed completion date ", dAg, ", completed ", Date(f.progress.completion), ": ",
         days, " days late (completion overdue)."],
        "flag:overdue_completion",
    )


def _contradictions(S: Sentences, f: Findings) -> None:
    p, c = f.progress, f.contradictions
    dates: dict[str, Any] = {
        "start_date": Date(p.start),
        "supply_date": Date(p.supply),
        "completion_date": Date(p.completion),
        "production_date": Date(p.production),
        "approval_date": Date(p.approval),
    }
    for (later, earlier), m in c.date_order.items():
        d_l, d_e = dates[later], dates[earlier]
        S.add(
            m,
            [f"日期矛盾:{field_name_zh(later)}", d_l, f"早于{field_name_zh(earlier)}", d_e,
             ",请核对。"],
            [f"Dates contradict: {later} ", d_l, f" is before {earlier} ", d_e,
             "; check them."],
            f"contradiction:{later}<{earlier}",
        )
    S.add(
        c.none_but_done,
        ["记录矛盾:动工依据为未动工,但已有竣工或投产日期,按已动工计,请核对。"],
        ["Records contradict: start_evidence is none but the parcel has a completion or "
         "production date; treated as started, check it."],
        "contradiction:none_but_done",
    )
    S.add(
        c.started_unsupplied,
        ["未供地但已动工,疑似未供先用,请核对。"],
        ["Started without a supply date: possible use before supply; check it."],
        "contradiction:started_unsupplied",
    )


# -- changes between two dates (landuse.rules.changes) -------------------------------------

CHANGE_SENTENCES: dict[str, tuple[str, str]] = {}
"""The sentence of every transition of :func:`landuse.rules.changes.changes` (the codes of
list ``transition`` of the standard), keyed ``code`` or ``code:variant``: (zh, en)
templates whose ``{names}`` the changes fill in (dates as 2023年1月1日 in Chinese)."""


def _change(key: str, zh: str, en: str) -> None:
    """Register the sentence of a transition (as :meth:`Sentences.add` does a finding's)."""
    CHANGE_SENTENCES[key] = (zh, en)


_change("split",
        '由{parents}分割而来。',
        'Split from {parents}.')
_change("merged",
        '由{parents}合并而来。',
        'Merged from {parents}.')
_change("added",
        '{date_to}前新增登记。',
        'Registered by {date_to}.')
_change("retired",
        '已注销，不再登记。',
        'Retired from the register.')
_change("retired:split",
        '已分割为{successors}，原宗地注销。',
        'Split into {successors}; the parcel is retired.')
_change("retired:merged",
        '已合并为{successors}，原宗地注销。',
        'Merged into {successors}; the parcel is retired.')
_change("holder_changed",
        '用地单位由{holder_from}变更为{holder_to}。',
        'Holder changed from {holder_from} to {holder_to}.')
_change("idle_new",
        '新增闲置土地：{date_to}为{idle_to}（{lifecycle_to}），{date_from}时为{lifecycle_from}。',
        'New idle land: {idle_to} ({lifecycle_to}) on {date_to}; {lifecycle_from} on {date_from}.')
_change("idle_new:added",
        '新增闲置土地：{date_to}为{idle_to}（{lifecycle_to}），{date_from}时尚未登记。',
        'New idle land: {idle_to} ({lifecycle_to}) on {date_to}; not registered on {date_from}.')
_change("idle_cleared_started",
        '闲置已消除：{date_from}为{idle_from}，{date_to}已动工开发（{lifecycle_to}）。',
        'Idle land cleared: {idle_from} on {date_from}, development started by {date_to} '
        '({lifecycle_to}).')
_change("idle_cleared_disposed",
        '闲置已消除：{date_from}为{idle_from}，{event_date}已处置（{method}）。',
        'Idle land cleared: {idle_from} on {date_from}, disposed on {event_date} ({method}).')
_change("idle_cleared_resupplied",
        '闲置已消除：{date_from}为{idle_from}，{supply_to}重新供地给{holder_to}。',
        'Idle land cleared: {idle_from} on {date_from}, re-supplied to {holder_to} on {supply_to}.')
_change("stage_moved",
        '五未阶段由{lifecycle_from}变为{lifecycle_to}。',
        'Lifecycle stage moved from {lifecycle_from} to {lifecycle_to}.')
_change("low_efficiency_found",
        '新认定为低效用地：{failed_to}未达标。',
        'Found low-efficiency: {failed_to} below the standard.')
_change("low_efficiency_cured",
        '低效用地已消除：{date_to}各项指标达标或不再评价。',
        'Low efficiency cured: on {date_to} every indicator meets its standard or is no '
        'longer judged.')
_change("mujun_class_moved",
        '亩均效益等级由{mujun_from}变为{mujun_to}。',
        'Mujun class moved from {mujun_from} to {mujun_to}.')


def change_sentence(key: str, lang: str, **values: str) -> str:
    """The sentence of transition ``key`` in ``lang`` with ``values`` filled in."""
    zh, en = CHANGE_SENTENCES[key]
    return (zh if lang == "zh" else en).format(**values)
