"""Worker process for :func:`landuse.raster.coverage.compute_coverage`.

Started as ``python -m landuse.raster._coverworker`` (never through ``multiprocessing``,
so the caller's ``__main__`` is not imported again: a script without an
``if __name__ == "__main__"`` guard is safe). It reads pickled tasks ``(wkbs, idx, grid)``
from stdin and writes ``("ok", (chunk, covered))`` or ``("error", message)`` to stdout,
until stdin closes.
"""

from __future__ import annotations

import os
import pickle
import sys


def main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt results
    from landuse.raster.coverage import _cover_chunk

    inp = sys.stdin.buffer
    while True:
        try:
            task = pickle.load(inp)
        except EOFError:
            break
        try:
            res: tuple[str, object] = ("ok", _cover_chunk(*task))
        except Exception as e:  # reported to the parent, which raises it
            res = ("error", f"{type(e).__name__}: {e}")
        pickle.dump(res, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    main()
