"""The deployment files (deploy/): Kubernetes manifests for the Dask operator, systemd units,
the image and the version pins, checked by parsing them (not run: no cluster here)."""

from __future__ import annotations

import configparser
import shlex

import yaml

from landuse import __version__
from landuse.engine import stack_versions
from tests.builders import ROOT

DEPLOY = ROOT / "deploy"
IMAGE = f"landuse:{__version__}"
SCHEDULER_SERVICE = "landuse-province-scheduler"  # the operator names it <cluster>-scheduler


def _docs(name: str) -> list[dict]:
    return list(yaml.safe_load_all((DEPLOY / "k8s" / name).read_text("utf-8")))


def test_daskcluster_for_the_operator() -> None:
    [dc] = _docs("daskcluster.yaml")
    assert dc["apiVersion"] == "kubernetes.dask.org/v1" and dc["kind"] == "DaskCluster"
    assert f"{dc['metadata']['name']}-scheduler" == SCHEDULER_SERVICE
    [worker] = dc["spec"]["worker"]["spec"]["containers"]
    [scheduler] = dc["spec"]["scheduler"]["spec"]["containers"]
    # one image everywhere, the package's version: the same geometry stack on every pod
    assert worker["image"] == scheduler["image"] == IMAGE
    assert scheduler["args"][:2] == ["dask", "scheduler"]
    args = worker["args"]
    assert args[:2] == ["dask", "worker"]
    assert args[args.index("--nthreads") + 1] == "1"  # one zone at a time per worker
    assert args[args.index("--memory-limit") + 1] == "4GiB"  # the 4 GB target per worker
    assert worker["resources"]["limits"]["memory"] == "5Gi"
    ports = {p["name"]: p["port"] for p in dc["spec"]["scheduler"]["service"]["ports"]}
    assert ports["tcp-comm"] == 8786
    # workers read the dataset at the path the client gives
    [mount] = worker["volumeMounts"]
    assert mount["mountPath"] == "/data"


def test_job_runs_assess_and_map_on_the_scheduler() -> None:
    [job] = _docs("assess-job.yaml")
    [pvc] = _docs("data.yaml")
    assert job["kind"] == "Job" and pvc["kind"] == "PersistentVolumeClaim"
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    [client] = job["spec"]["template"]["spec"]["containers"]
    assert client["image"] == IMAGE
    script = client["command"][2]
    cluster = f"--cluster tcp://{SCHEDULER_SERVICE}:8786"
    assert script.count(cluster) == 2
    assert "landuse assess /data/province" in script and "--pmtiles" in script
    [vol] = job["spec"]["template"]["spec"]["volumes"]
    assert vol["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]


def _unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return cp


def test_systemd_units() -> None:
    sch = _unit("dask-scheduler.service")
    cmd = shlex.split(sch["Service"]["ExecStart"])
    assert cmd[0].endswith("/bin/dask") and cmd[1] == "scheduler"
    assert cmd[cmd.index("--port") + 1] == "8786"
    wk = _unit("dask-worker@.service")
    cmd = shlex.split(wk["Service"]["ExecStart"])
    assert cmd[:3] == [cmd[0], "worker", "${SCHEDULER}"] and cmd[0].endswith("/bin/dask")
    assert wk["Service"]["Environment"] == "SCHEDULER=tcp://gis-01:8786"
    assert cmd[cmd.index("--nthreads") + 1] == "1"
    assert cmd[cmd.index("--memory-limit") + 1] == "4GiB"
    for unit in (sch, wk):
        assert unit["Install"]["WantedBy"] == "multi-user.target"
        assert unit["Service"]["Restart"] == "on-failure"


def test_image_installs_the_pinned_stack() -> None:
    pins = dict(line.split("==") for line in
                (DEPLOY / "constraints.txt").read_text("utf-8").splitlines()
                if line and not line.startswith("#"))
    # the stack whose versions the engine compares between client and workers is pinned
    assert {"geopandas", "shapely", "pyproj", "pandas", "numpy", "pyarrow"} <= set(pins)
    assert {"dask", "distributed"} <= set(pins)
    assert all(v.count(".") >= 1 for v in pins.values())
    assert {"geopandas", "shapely", "pyproj"} <= set(stack_versions())
    text = (DEPLOY / "Containerfile").read_text("utf-8")
    assert "-c /tmp/constraints.txt" in text
    assert f"landuse-{__version__}-py3-none-any.whl[cluster]" in text
