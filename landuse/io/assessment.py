"""Write an assessed parcel layer to .gpkg, .parquet, .geojson, .csv or .xlsx, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landuse.errors import DataSourceError
from landuse.io.write import atomic_path, write_layer

__all__ = ["ASSESSMENT_FORMATS", "write_assessment"]

ASSESSMENT_FORMATS = (".gpkg", ".parquet", ".geojson", ".csv", ".xlsx")

_FIELDS = [
    ("area_m2", "面积(平方米, 椭球面)", "area in m² (ellipsoidal)"),
    ("area_mu", "面积(亩)", "area in mu"),
    ("area_ha", "面积(公顷)", "area in hectares"),
    ("lifecycle", "五未阶段", "five-not stage"),
    ("idle_type", "闲置类型", "idle type (Order 53 case A / B)"),
    ("overdue_days", "逾期天数", "days past the (re-based) start date"),
    ("idle_fee_wan", "闲置费(万元)", "idle fee, 10k yuan"),
    ("recovery_candidate", "可无偿收回", "may be recovered without compensation"),
    ("low_efficiency", "低效用地", "fails an intensity or yield indicator"),
    ("failed_indicators", "未达标指标", "failed indicators"),
    ("mujun_score", "亩均效益得分", "mu-average score"),
    ("mujun_class", "亩均分类", "mu-average class A/B/C/D/T"),
    ("flags", "提示", "flags"),
    ("reasons", "判定理由", "reasons"),
    ("ruleset", "规则集", "ruleset name and version"),
]


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable and Arrow dtypes as plain Python objects (for CSV and Excel)."""
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.BooleanDtype | pd.Int64Dtype) or str(s.dtype) in ("str", "string"):
            out[c] = s.astype(object).where(s.notna(), None)
        else:
            out[c] = s
    return out


def write_assessment(
    gdf: gpd.GeoDataFrame, target: str | Path, overwrite: bool = False
) -> Path:
    """Write an assessment, the format chosen by the suffix of ``target``.

    ``.gpkg`` (layer ``parcels``), ``.parquet`` and ``.geojson`` keep the geometry; ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) carries it as WKT; ``.xlsx`` has no geometry
    and adds a sheet describing the fields and the ruleset used.
    """
    t = Path(target)
    suffix = t.suffix.lower()
    if suffix not in ASSESSMENT_FORMATS:
        raise DataSourceError(
            f"{t}: unknown output format '{suffix}'. Fix: use one of "
            + ", ".join(ASSESSMENT_FORMATS)
            + "."
        )
    if suffix in (".gpkg", ".parquet", ".geojson"):
        return write_layer(gdf, t, "parcels" if suffix == ".gpkg" else None, overwrite)
    meta: dict[str, Any] = gdf.attrs.get("assessment", {})
    table = _plain(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    with atomic_path(t, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            table["geometry_wkt"] = gdf.geometry.to_wkt().to_numpy()
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            fields = pd.DataFrame(
                [f for f in _FIELDS if f[0] in table.columns],
                columns=["field 字段", "中文", "English"],
            )
            rs = meta.get("ruleset", {})
            about = pd.DataFrame(
                [
                    ("评估基准日 as of", meta.get("as_of", "")),
                    ("规则集 ruleset", rs.get("description", "")),
                    ("规则文件 files", "; ".join(rs.get("files", []))),
                    ("缺失字段 absent fields", ", ".join(meta.get("absent_fields", []))),
                    ("宗地数 parcels", len(table)),
                ],
                columns=["item 项目", "value 值"],
            )
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                table.to_excel(xw, sheet_name="assessment", index=False)
                fields.to_excel(xw, sheet_name="fields 字段", index=False)
                about.to_excel(xw, sheet_name="about 说明", index=False)
    return t
