"""The map's "changes since a date" layer: each parcel coloured by what changed for it
between that date and the map's (:func:`landuse.rules.changes.changes`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse import labels
from landuse.report.text import day_text
from landuse.standard import get_standard
from landuse.webmap.classes import LayerClass, LayerSpec, label

__all__ = ["changes_layer"]

_PALETTE = ["#6a3d9a", "#cab2d6", "#1f78b4", "#636363", "#ff7f00", "#e31a1c", "#33a02c",
            "#b2df8a", "#a6cee3", "#fdbf6f", "#b15928", "#1b9e77", "#fb9a99"]
"""One colour per transition, in the order of list ``transition`` of the standard."""


def changes_layer(parcels: pd.DataFrame, found: pd.DataFrame, since: str, lang: str,
                  mu: np.ndarray) -> tuple[np.ndarray, LayerSpec]:
    """Class codes (n_parcels, 1; -1 where nothing changed) and the legend of the layer.

    A parcel with several transitions is drawn in the class of the first in the
    standard's order (splits and merges first, then holder, idle land, stage,
    efficiency, class); its popup reasons name them all."""
    codes_list = list(get_standard().codes["transition"])
    title = label("changes_since", lang).format(date=day_text(pd.Timestamp(since), lang))
    spec = LayerSpec("changes", title, [
        LayerClass(c, labels.label("transition", c, lang), _PALETTE[i % len(_PALETTE)])
        for i, c in enumerate(codes_list)])
    first = {str(pid): min(codes_list.index(t) for t in str(ts).split(";"))
             for pid, ts in zip(found["parcel_id"], found["transitions"], strict=True)}
    out = np.full((len(parcels), 1), -1, dtype=np.int16)
    for row, pid in enumerate(parcels["parcel_id"].astype(str)):
        k = first.get(pid)
        if k is None:
            continue
        out[row, 0] = k
        spec.classes[k].count += 1
        spec.classes[k].mu += float(mu[row])
    return out, spec
