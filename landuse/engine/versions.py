"""The geometry stack's versions, which must be the same on the client and every worker.

Areas (PROJ's ellipsoid), validity and intersections (GEOS), and the frames (geopandas,
shapely, pandas, numpy, pyarrow) decide the figures; a worker with another version could
give other bytes. :func:`check_versions` refuses a cluster where any differs.
"""

from __future__ import annotations

from collections.abc import Mapping

from landuse.errors import EngineError

__all__ = ["check_versions", "stack_versions"]


def stack_versions() -> dict[str, str]:
    """The versions of this process's stack: landuse, geopandas, shapely, GEOS, pyproj,
    PROJ, pandas, numpy, pyarrow and Python."""
    import platform

    import geopandas
    import numpy
    import pandas
    import pyarrow
    import pyproj
    import shapely

    import landuse

    return {
        "landuse": landuse.__version__,
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "GEOS": shapely.geos_version_string,
        "pyproj": pyproj.__version__,
        "PROJ": pyproj.proj_version_str,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
        "python": platform.python_version(),
    }


def check_versions(client: Mapping[str, str], workers: Mapping[str, Mapping[str, str]]) -> None:
    """Raise EngineError naming each worker and package whose version differs.

    Parameters
    ----------
    client : mapping
        :func:`stack_versions` of the client.
    workers : mapping
        Worker address -> its :func:`stack_versions`.

    Examples
    --------
    >>> check_versions({"GEOS": "3.12.1"}, {"tcp://w1:1": {"GEOS": "3.12.1"}})
    >>> check_versions({"GEOS": "3.12.1"},
    ...                {"tcp://w1:1": {"GEOS": "3.11.0"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    landuse.errors.EngineError: worker versions differ ...: tcp://w1:1 GEOS 3.11.0 (here 3.12.1)...
    """
    diffs = [
        f"{addr} {pkg} {theirs.get(pkg, 'missing')} (here {mine})"
        for addr, theirs in sorted(workers.items())
        for pkg, mine in client.items()
        if theirs.get(pkg) != mine
    ]
    if diffs:
        raise EngineError(
            "worker versions differ from this machine's: " + "; ".join(diffs) + ". Fix: "
            "install the same versions on every worker (pip install -r the same lock file, "
            "or one container image)."
        )
