"""Words of the report in Chinese and English: labels, headers, period names, numbers."""

from __future__ import annotations

import calendar

import pandas as pd

from landuse.standard import code_label, get_standard

__all__ = ["T", "fmt1", "label", "period_label"]

_LONG = frozenset({"mujun_class"})
"""Code lists the report names by their long label (``A类（优先发展）``)."""


def label(kind: str, code: object, lang: str = "zh") -> str:
    """Label of a code for people, in ``lang``; a missing code gives "未注明"/"not recorded".

    The words come from the standard (:func:`landuse.standard.code_label`); the report
    shows the 亩均 classes by their long label. A code the standard does not know is shown
    as it is.

    Examples
    --------
    >>> label("method", "merger"), label("method", "merger", "en")
    ('兼并重组', 'merger and restructuring')
    >>> label("mujun_class", "A")
    'A类（优先发展）'
    """
    if code is None or (isinstance(code, float) and pd.isna(code)) or code == "":
        return T[lang]["not_recorded"]
    c = str(code)
    codes = get_standard().codes.get(kind)
    if codes is None or c not in codes:
        return c if lang == "zh" else c.replace("_", " ")
    return code_label(kind, c, lang, long=kind in _LONG)


def fmt1(x: float) -> str:
    """One decimal, as the source reports write it: ``67``, ``56.8``, ``175.8``.

    Examples
    --------
    >>> fmt1(67.0), fmt1(56.8), fmt1(175.84)
    ('67', '56.8', '175.8')
    """
    s = f"{round(float(x) + 0.0, 1):.1f}"
    return s[:-2] if s.endswith(".0") else s


def period_label(start: pd.Timestamp, end: pd.Timestamp, lang: str = "zh") -> str:
    """Name a period the way a work report does.

    Examples
    --------
    >>> ts = pd.Timestamp
    >>> period_label(ts("2023-01-01"), ts("2023-10-31"))
    '2023年1—10月'
    >>> period_label(ts("2023-01-01"), ts("2023-12-31"), "en")
    '2023'
    >>> period_label(ts("2023-01-01"), ts("2023-09-30"), "en")
    'January–September 2023'
    """
    month_start = start.day == 1
    month_end = end.day == calendar.monthrange(end.year, end.month)[1]
    if start.year == end.year and month_start and month_end:
        if start.month == 1 and end.month == 12:
            return f"{start.year}年" if lang == "zh" else f"{start.year}"
        if start.month == end.month:
            if lang == "zh":
                return f"{start.year}年{start.month}月"
            return f"{calendar.month_name[start.month]} {start.year}"
        if lang == "zh":
            return f"{start.year}年{start.month}—{end.month}月"
        return (
            f"{calendar.month_name[start.month]}–{calendar.month_name[end.month]} {start.year}"
        )
    if lang == "zh":
        return (
            f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        )
    return f"{start.day} {calendar.month_name[start.month]} {start.year} to " \
        f"{end.day} {calendar.month_name[end.month]} {end.year}"


T: dict[str, dict[str, str]] = {
    "zh": {
        "not_recorded": "未注明",
        "title": "闲置低效用地处置与土地集约利用情况报告",
        "whole_zone": "全区",
        "no_zone": "未分区",
        "total": "合计",
        "yes": "是",
        "no": "否",
        "headline": "工作概述",
        "tables": "统计表",
        "charts": "图表",
        "map": "宗地分布示意图",
        "notes": "说明",
        "indicators": "土地集约利用评价指标",
        "period": "统计期间",
        "as_of": "评价基准日",
        "zone": "范围",
        "parcels_n": "宗地数",
        "generated_by": "由 landuse 根据宗地数据和处置台账生成",
        # table titles
        "t_by_method": "按处置方式统计（期内盘活）",
        "t_by_stage": "按处置阶段统计",
        "t_by_zone": "按园区统计",
        "t_by_month": "按月统计（期内盘活）",
        "t_idle": "闲置土地清单",
        "t_low_eff": "低效用地清单",
        "t_lifecycle": "“五未”土地分类汇总",
        "t_mujun": "亩均效益分类汇总",
        "t_flags": "执法线索汇总",
        "t_flagged": "执法线索清单",
        "t_indicators": "开发区土地集约利用评价指标",
        "t_events": "期内处置事件明细",
        "t_evidence": "记录与影像不符",
        "t_outside": "供地范围外建筑（疑似非法占地）",
        "c_recorded_state": "台账记录进度",
        "c_builtup_share": "影像建设用地占比(%)",
        "c_bare_share": "影像裸地占比(%)",
        "c_builtup_change": "两期建设用地变化(百分点)",
        "c_fp_recorded": "台账建筑基底面积(m²)",
        "c_fp_observed": "实测建筑基底面积(m²)",
        "c_cov_recorded": "台账基底覆盖率(%)",
        "c_cov_observed": "实测基底覆盖率(%)",
        "c_disagree": "不符类型",
        "c_reason": "原因",
        "c_evidence_date": "影像日期",
        "c_building": "建筑编号",
        "c_bld_area_m2": "占地面积(m²)",
        "c_bld_area_mu": "占地面积(亩)",
        "c_on_unsupplied": "位于未供地宗地上(%)",
        "c_location": "位置(经度, 纬度)",
        # column headers
        "c_method": "处置方式",
        "c_stage": "阶段",
        "c_zone": "园区",
        "c_month": "月份",
        "c_parcels": "宗数(宗)",
        "c_area_mu": "面积(亩)",
        "c_area_ha": "面积(公顷)",
        "c_zombies": "清理僵尸企业(家)",
        "c_new_ent": "新入驻企业(家)",
        "c_events": "期内事件数(件)",
        "c_stage_parcels": "期末处于该阶段(宗)",
        "c_stage_area": "期末该阶段面积(亩)",
        "c_parcels_all": "宗地总数(宗)",
        "c_area_all": "宗地总面积(亩)",
        "c_idle_n": "闲置(宗)",
        "c_idle_mu": "闲置面积(亩)",
        "c_low_n": "低效(宗)",
        "c_low_mu": "低效面积(亩)",
        "c_reclaimed": "期内盘活面积(亩)",
        "c_reclaimed_n": "期内盘活(宗)",
        "c_parcel": "宗地号",
        "c_holder": "用地单位",
        "c_idle_type": "闲置类型",
        "c_overdue": "超期天数(天)",
        "c_fee": "闲置费(万元)",
        "c_recovery": "可无偿收回",
        "c_case": "处置进展",
        "c_failed": "未达标指标",
        "c_mujun": "亩均效益分类",
        "c_mujun_score": "亩均得分(分)",
        "c_lifecycle": "“五未”类别",
        "c_tax": "税收(万元)",
        "c_tax_mu": "亩均税收(万元/亩)",
        "c_flag": "线索类型",
        "c_flags": "线索",
        "c_indicator": "指标",
        "c_value": "数值",
        "c_unit": "单位",
        "c_formula": "计算公式",
        "c_basis": "口径与说明",
        "c_status": "是否计算",
        "c_event": "事件编号",
        "c_date": "日期",
        "c_new_holder": "新入驻企业",
        "c_zombie": "清理僵尸企业",
        "c_note": "备注",
        "computed": "已计算",
        "not_computed": "无法计算",
        # chart titles
        "ch_method": "期内盘活面积（按处置方式，亩）",
        "ch_month": "期内盘活面积（按月，亩）",
        "ch_lifecycle": "“五未”土地面积（亩）",
        "ch_mujun": "亩均效益分类（宗）",
        "legend_disposed": "期内盘活",
        "legend_idle": "闲置",
        "legend_low": "低效",
        "legend_case": "处置中",
        "legend_other": "其他宗地",
    },
    "en": {
        "not_recorded": "not recorded",
        "title": "Idle and low-efficiency land: disposal and land-use intensity report",
        "whole_zone": "whole zone",
        "no_zone": "(no sub-park)",
        "total": "Total",
        "yes": "yes",
        "no": "no",
        "headline": "Summary",
        "tables": "Tables",
        "charts": "Charts",
        "map": "Overview map",
        "notes": "Notes",
        "indicators": "Land-use intensity indicators",
        "period": "Period",
        "as_of": "Assessed as of",
        "zone": "Area",
        "parcels_n": "Parcels",
        "generated_by": "Generated by landuse from the parcel register and the disposal ledger",
        "t_by_method": "By disposal method (brought back into use in the period)",
        "t_by_stage": "By disposal stage",
        "t_by_zone": "By sub-park",
        "t_by_month": "By month (brought back into use in the period)",
        "t_idle": "Idle parcels",
        "t_low_eff": "Low-efficiency parcels",
        "t_lifecycle": "Five-not (五未) categories",
        "t_mujun": "Per-mu performance classes (亩均)",
        "t_flags": "Enforcement flags",
        "t_flagged": "Flagged parcels",
        "t_indicators": "Zone land-use intensity indicators",
        "t_events": "Ledger events in the period",
        "t_evidence": "Records vs imagery",
        "t_outside": "Buildings on no supplied parcel (possible illegal occupation)",
        "c_recorded_state": "Recorded progress",
        "c_builtup_share": "Built-up share in imagery (%)",
        "c_bare_share": "Bare share in imagery (%)",
        "c_builtup_change": "Built-up change between dates (points)",
        "c_fp_recorded": "Recorded footprint (m²)",
        "c_fp_observed": "Observed footprint (m²)",
        "c_cov_recorded": "Recorded footprint coverage (%)",
        "c_cov_observed": "Observed footprint coverage (%)",
        "c_disagree": "Discrepancy",
        "c_reason": "Reason",
        "c_evidence_date": "Imagery date",
        "c_building": "Building",
        "c_bld_area_m2": "Area (m²)",
        "c_bld_area_mu": "Area (mu)",
        "c_on_unsupplied": "On unsupplied parcels (%)",
        "c_location": "Location (lon, lat)",
        "c_method": "Method",
        "c_stage": "Stage",
        "c_zone": "Sub-park",
        "c_month": "Month",
        "c_parcels": "Parcels (n)",
        "c_area_mu": "Area (mu)",
        "c_area_ha": "Area (ha)",
        "c_zombies": "Zombie enterprises cleared (n)",
        "c_new_ent": "New enterprises (n)",
        "c_events": "Events in period (n)",
        "c_stage_parcels": "Parcels at this stage at period end (n)",
        "c_stage_area": "Area at this stage at period end (mu)",
        "c_parcels_all": "Parcels (n)",
        "c_area_all": "Total area (mu)",
        "c_idle_n": "Idle (n)",
        "c_idle_mu": "Idle area (mu)",
        "c_low_n": "Low-efficiency (n)",
        "c_low_mu": "Low-efficiency area (mu)",
        "c_reclaimed": "Brought back in period (mu)",
        "c_reclaimed_n": "Brought back in period (n)",
        "c_parcel": "Parcel",
        "c_holder": "Holder",
        "c_idle_type": "Idle type",
        "c_overdue": "Overdue (days)",
        "c_fee": "Idle-land fee (10k yuan)",
        "c_recovery": "Recovery without compensation possible",
        "c_case": "Case stage",
        "c_failed": "Failed indicators",
        "c_mujun": "Per-mu class",
        "c_mujun_score": "Per-mu score (points)",
        "c_lifecycle": "Five-not category",
        "c_tax": "Tax (10k yuan)",
        "c_tax_mu": "Tax per mu (10k yuan/mu)",
        "c_flag": "Flag",
        "c_flags": "Flags",
        "c_indicator": "Indicator",
        "c_value": "Value",
        "c_unit": "Unit",
        "c_formula": "Formula",
        "c_basis": "Basis and notes",
        "c_status": "Computed",
        "c_event": "Event",
        "c_date": "Date",
        "c_new_holder": "New enterprise",
        "c_zombie": "Zombie enterprise cleared",
        "c_note": "Note",
        "computed": "computed",
        "not_computed": "not computed",
        "ch_method": "Brought back into use by method (mu)",
        "ch_month": "Brought back into use by month (mu)",
        "ch_lifecycle": "Five-not categories (mu)",
        "ch_mujun": "Per-mu classes (parcels)",
        "legend_disposed": "brought back in period",
        "legend_idle": "idle",
        "legend_low": "low efficiency",
        "legend_case": "case open",
        "legend_other": "other parcels",
    },
}
"""All fixed words of the report, by language."""
