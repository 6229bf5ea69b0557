"""The wheel works without the checkout: build it, install it in a new venv, run the demo
and the web service from an empty folder.

The new venv gets the wheel only (``--no-deps``); its dependencies are the test
environment's, reached through a ``.pth`` file listing that environment's site-packages
folders. A path line in a ``.pth`` file does not run that folder's own ``.pth`` files, so an
editable install of the checkout in the test environment does not leak in; the test checks
that ``landuse``, ``landuse_api`` and ``landuse_demo`` are imported from the new venv.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.builders import ROOT
from tests.support.store import free_port

pytestmark = pytest.mark.slow

REPORT_FORMATS = (".html", ".xlsx", ".docx", ".md", ".json")


def _env() -> dict[str, str]:
    """The environment without anything pointing at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    if importlib.util.find_spec("hatchling"):  # the dev extra has it: build offline
        cmd.append("--no-build-isolation")
    subprocess.run([*cmd, str(ROOT)], check=True, env=_env(), timeout=600)
    (whl,) = out.glob("landuse-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding the wheel (and the test environment's dependencies)."""
    home = tmp_path_factory.mktemp("venv") / "v"
    venv.create(home, with_pip=False, symlinks=True)
    py = home / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, env=_env(), timeout=600)
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], capture_output=True, text=True, check=True,
                               env=_env()).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site / "zz_test_environment.pth").write_text("\n".join(deps) + "\n", "utf-8")
    return home


def _run(home: Path, args: list[str], cwd: Path, timeout: int = 900) -> str:
    r = subprocess.run([str(home / "bin" / "landuse"), *args], cwd=cwd, env=_env(),
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_wheel_contents(wheel: Path, artifacts: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"landuse", "landuse_api", "landuse_demo", "landuse-0.1.0.dist-info"}
    assert "landuse_demo/data/sample_park.gpkg" in names
    assert "landuse/webmap/static/vendor/leaflet/dist/leaflet.js" in names
    assert "landuse/webmap/static/vendor/leaflet/LICENSE" in names
    assert "landuse/data/standard.toml" in names
    size = wheel.stat().st_size
    (artifacts / "wheel_size.txt").write_text(f"{wheel.name} {size} bytes\n", "utf-8")
    print(f"\n{wheel.name}: {size / 1e6:.2f} MB")
    assert size < 10e6, size  # sample park, vendored browser files and the code


def test_imports_come_from_the_new_venv(installed: Path, tmp_path: Path) -> None:
    code = ("import json, landuse, landuse_api, landuse_demo; print(json.dumps("
            "[m.__file__ for m in (landuse, landuse_api, landuse_demo)]))")
    r = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path,
                       env=_env(), capture_output=True, text=True, check=True)
    for f in json.loads(r.stdout):
        assert Path(f).resolve().is_relative_to(installed.resolve()), f


def test_demo_and_serve_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    _run(installed, ["demo", "--out", "D"], work)
    d = work / "D"
    for name in ("sample_park.html", "sample_park_en.html"):
        page = (d / "maps" / name).read_text("utf-8")
        assert "L.map(" in page or "leaflet" in page.lower()
        assert "Leaflet" in page  # the vendored library is inlined
    for lang in ("zh", "en"):
        for suffix in REPORT_FORMATS:
            p = d / f"report_2023-01_2023-10_{lang}{suffix}"
            assert p.is_file() and p.stat().st_size > 0, p
        html = (d / f"report_2023-01_2023-10_{lang}.html").read_text("utf-8")
        assert html.count('<figure data-chart="') >= 3 and "<svg" in html
        with zipfile.ZipFile(d / f"report_2023-01_2023-10_{lang}.docx") as z:
            pngs = [n for n in z.namelist() if n.startswith("word/media/")
                    and z.read(n)[:4] == b"\x89PNG"]
        assert len(pngs) >= 3, pngs
    assert (d / "park.gpkg").is_file()

    port = free_port()
    proc = subprocess.Popen([str(installed / "bin" / "landuse"), "serve", "D/park.gpkg",
                             "--port", str(port)], cwd=work, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a limit for start-up, not a speed requirement
        while True:
            try:
                urllib.request.urlopen(base + "/collections", timeout=5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "landuse serve did not start"
                time.sleep(0.5)
        with urllib.request.urlopen(base + "/map", timeout=300) as r:
            assert r.status == 200
            assert r.headers["content-type"].startswith("text/html")
            assert "<html" in r.read().decode("utf-8").lower()
        with urllib.request.urlopen(base + "/collections/parcels/items?limit=2",
                                    timeout=120) as r:
            assert r.status == 200
            body = json.loads(r.read())
        assert body["type"] == "FeatureCollection" and len(body["features"]) == 2
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert sorted(p.name for p in work.iterdir()) == ["D"]


def test_a_missing_optional_package_names_its_part_and_the_fix(installed: Path,
                                                                 tmp_path: Path) -> None:
    """The installed command, with ``rasterio`` made unimportable in its venv (a finder
    that refuses it, switched on by an environment variable): the demo stops at its
    evidence step with the package, its part and the install command, exit code 2, not
    an unexpected error."""
    site = Path(subprocess.run([str(installed / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True,
                               env=_env()).stdout.strip())
    (site / "zz_refuse.py").write_text(
        "import os, sys\n"
        "class _Refuse:\n"
        "    names = set(filter(None, os.environ.get('REFUSE_MODULES', '').split(',')))\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in self.names:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "if _Refuse.names:\n"
        "    sys.meta_path.insert(0, _Refuse())\n", "utf-8")
    (site / "zz_refuse.pth").write_text("import zz_refuse\n", "utf-8")
    work = tmp_path / "empty"
    work.mkdir()
    r = subprocess.run([str(installed / "bin" / "landuse"), "demo", "--out", "D"], cwd=work,
                       env={**_env(), "REFUSE_MODULES": "rasterio"}, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "rasterio" in r.stderr and "'raster'" in r.stderr, r.stderr
    assert "pip install 'landuse[raster]'" in r.stderr, r.stderr
    assert "未安装所需的 Python 包" in r.stderr and "bug" not in r.stderr, r.stderr
