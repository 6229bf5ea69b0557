"""The task unit of a province run: one development zone of a partitioned dataset.

Every rule is a function of one development zone's parcels, and of nothing outside it:
the 亩均 family sums an enterprise's parcels over the whole input and, with ``rank_scope =
"all"``, ranks the enterprises of the whole input, i.e. the development zone (domain.md §4;
``mujun_example.toml``); with ``rank_scope = "zone"`` it ranks within each sub-park but still
sums an enterprise over every sub-park. So the unit cannot be smaller than a development
zone, and the standard's ``zone`` field (the sub-park, parcel standard §1) never splits it:
when a dataset is also partitioned by ``zone``, the sub-park partitions of one development
zone form one unit. The unit is therefore the dataset's partition values without ``zone``
(a dataset partitioned by ``zone`` alone is one unit: one development zone).

Planning reads only the dataset's recorded partitions, never its files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from landuse.io.dataset import dataset_info

__all__ = ["SUB_PARK_FIELD", "Unit", "plan_units"]

SUB_PARK_FIELD = "zone"
"""The standard's sub-park field: a partition key that never splits a unit."""


@dataclass(frozen=True)
class Unit:
    """One task: the partitions of one development zone.

    ``key`` holds the values of the unit's partition columns (``columns``), e.g.
    ``("江西省", "抚州市", "抚州高新区")``; ``where`` is the reader's filter for them.
    """

    columns: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def where(self) -> dict[str, list[str]]:
        """The partition filter of :func:`landuse.io.read_parcels` for this unit."""
        return {c: [v] for c, v in zip(self.columns, self.key, strict=True)}

    @property
    def name(self) -> str:
        """``province=江西省/city=抚州市/…`` (``(all)`` for a one-unit dataset)."""
        if not self.columns:
            return "(all)"
        return "/".join(f"{c}={v}" for c, v in zip(self.columns, self.key, strict=True))


def plan_units(path: str | Path,
               where: Mapping[str, Sequence[str]] | None = None) -> list[Unit]:
    """The units of the dataset at ``path``, sorted by their partition values.

    ``where`` (partition column -> values, the user's ``--partition``) keeps the units it
    allows; its filter on the sub-park ``zone`` applies inside each unit, when it is read.

    Examples
    --------
    A dataset partitioned by ``province, city, dev_zone, zone`` gives one unit per
    (province, city, dev_zone); one partitioned by ``zone`` alone gives one unit.
    """
    info = dataset_info(path)
    cols = tuple(k for k in info.keys if k != SUB_PARK_FIELD)
    pos = [info.keys.index(c) for c in cols]
    wanted = {k: {str(v) for v in vals} for k, vals in (where or {}).items()}
    keys = sorted({
        tuple(part[i] for i in pos) for part in info.partitions
        if all(part[info.keys.index(k)] in vals for k, vals in wanted.items() if k in info.keys)
    })
    return [Unit(cols, k) for k in keys]
