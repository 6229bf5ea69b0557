"""Idle land determined and disposed, from the disposal ledger (pure).

The 闲置土地处置率 counts parcels determined idle (an ``idle_determined`` event:
闲置土地认定书) and disposed (a later ``disposed`` event); the idle-land disposal tasks
count the area of the ``disposed`` events (盘活) in the task's year, as the ledger's
period figures do.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["disposals", "idle_land"]


def idle_land(ledger: pd.DataFrame, parcels: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per parcel determined idle: ``parcel_id``, ``zone``, ``area_m2``,
    ``determined_date`` (first determination) and ``disposed_date`` (first ``disposed``
    event on or after it; NaT while not disposed).

    The area is the determination's ``area_m2``, else the parcel's registered area (when
    ``parcels`` is given), else missing (counted as 0 and visible as NaN).
    """
    led = ledger.copy()
    led["event_date"] = pd.to_datetime(led["event_date"], errors="coerce")
    det = led[led["stage"] == "idle_determined"].sort_values("event_date", kind="stable")
    det = det.drop_duplicates("parcel_id", keep="first")
    out = pd.DataFrame({"parcel_id": det["parcel_id"].astype(str).to_numpy(),
                        "determined_date": det["event_date"].to_numpy(),
                        "area_m2": pd.to_numeric(det["area_m2"], errors="coerce").to_numpy()
                        if "area_m2" in det.columns else float("nan")})
    disp = led[led["stage"] == "disposed"][["parcel_id", "event_date"]]
    disp = disp.assign(parcel_id=disp["parcel_id"].astype(str))
    j = out[["parcel_id", "determined_date"]].merge(disp, on="parcel_id", how="left")
    j = j[j["event_date"] >= j["determined_date"]]
    first = j.groupby("parcel_id")["event_date"].min()
    out["disposed_date"] = pd.to_datetime(out["parcel_id"].map(first.to_dict()))
    out["zone"] = None
    if parcels is not None:
        p = pd.DataFrame(parcels).drop_duplicates("parcel_id")
        p = p.set_index(p["parcel_id"].astype(str))
        if "zone" in p.columns:
            out["zone"] = out["parcel_id"].map(p["zone"].to_dict())
        if "registered_area_m2" in p.columns:
            reg = pd.to_numeric(out["parcel_id"].map(p["registered_area_m2"].to_dict()),
                                errors="coerce")
            out["area_m2"] = out["area_m2"].where(out["area_m2"].notna(), reg)
    return out[["parcel_id", "zone", "area_m2", "determined_date", "disposed_date"]]


def disposals(ledger: pd.DataFrame, parcels: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ledger's effective ``disposed`` events (盘活; corrections applied by
    :func:`landuse.ledger.apply_corrections`): ``parcel_id``, ``zone``, ``area_m2`` and
    ``disposed_date``, one row per event. A period counts each parcel once, with its
    largest disposed area, as the ledger's period figures do
    (:func:`landuse.supply.compute.task_completion`)."""
    from landuse.ledger import apply_corrections

    eff = apply_corrections(ledger) if "corrects" in ledger.columns else ledger
    led = eff[eff["stage"] == "disposed"]
    out = pd.DataFrame({
        "parcel_id": led["parcel_id"].astype(str).to_numpy(),
        "area_m2": pd.to_numeric(led["area_m2"], errors="coerce").to_numpy()
        if "area_m2" in led.columns else float("nan"),
        "disposed_date": pd.to_datetime(led["event_date"], errors="coerce").to_numpy(),
    })
    out["zone"] = None
    if parcels is not None and "zone" in parcels.columns:
        zones = pd.Series(parcels["zone"].to_numpy(), index=parcels["parcel_id"].astype(str))
        out["zone"] = out["parcel_id"].map(zones[~zones.index.duplicated()].to_dict())
    return out[["parcel_id", "zone", "area_m2", "disposed_date"]]
