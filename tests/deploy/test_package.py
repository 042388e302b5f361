"""The Lambda deployment package: what goes in, and that the handlers run from it.

These tests build from the libraries installed in this environment (offline); `python -m
sagetrim.deploy OUT.zip` builds from Lambda's wheels with pip and reports the size.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sagetrim.deploy import package
from sagetrim.deploy.package import PackageError, build_package, package_files
from sagetrim.errors import UsageError

LAMBDA_LIKE = sys.platform == "linux" and os.uname().machine == "x86_64" and sys.version_info[:2] == (3, 11)
needs_lambda_like = pytest.mark.skipif(not LAMBDA_LIKE, reason="installed libraries must match Lambda's platform")
NOT_SHIPPED = ("typer", "rich", "jinja2", "moto", "numpy", "sagetrim/sim/", "boto3", "botocore")


def test_given_the_sagetrim_package_when_selected_then_the_simulated_account_and_caches_stay_out() -> None:
    names = {name for _, name in package_files()}
    assert {"sagetrim/deploy/handlers.py", "sagetrim/py.typed", "sagetrim/catalog/data/snapshot.json",
            "sagetrim/agent/autostop.py", "sagetrim/schedules/runner.py"} <= names
    assert not [n for n in names if n.startswith("sagetrim/sim/") or "__pycache__" in n or n.endswith(".pyc")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not LAMBDA_LIKE:
        pytest.skip("installed libraries must match Lambda's platform")
    out = tmp_path_factory.mktemp("package") / "sagetrim-lambda.zip"
    return build_package(out, source="installed", include_sdk=False)


def test_given_the_installed_libraries_when_packaged_then_the_zip_holds_what_the_handlers_import(built: Any) -> None:
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert "sagetrim/deploy/handlers.py" in names
    assert any(n.startswith("pydantic_core/") and n.endswith(".so") for n in names)
    assert {"yaml/__init__.py", "croniter/__init__.py", "tzdata/__init__.py", "dateutil/__init__.py"} <= set(names)
    assert not [n for n in names if n.lower().startswith(NOT_SHIPPED)]
    assert {"sagetrim", "pydantic", "pydantic_core", "PyYAML", "croniter", "tzdata"} <= set(built.dependencies)
    assert built.files == len(names) and built.zipped_bytes == built.path.stat().st_size
    assert built.zipped_bytes < built.unzipped_bytes < package.LAMBDA_UNZIPPED_LIMIT
    assert json.loads(json.dumps(built.to_json()))["zipped_mb"] > 0


@needs_lambda_like
def test_given_the_same_inputs_when_packaged_twice_then_the_zips_are_identical(built: Any, tmp_path: Path) -> None:
    again = build_package(tmp_path / "again.zip", source="installed", include_sdk=False)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (built.path, again.path)]
    assert digest[0] == digest[1]


def test_given_the_zip_when_a_python_without_the_cli_libraries_runs_the_handler_then_it_scans(
        built: Any, sim: Any, tmp_path: Path) -> None:
    root = tmp_path / "task"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(root)
    script = f"""
import importlib.abc, json, sys
sys.path.insert(0, {str(root)!r})

class NotInLambda(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {{"typer", "rich", "jinja2", "moto", "numpy"}}:
            raise ImportError(f"{{name}} is not in the deployment package")
        return None

sys.meta_path.insert(0, NotInLambda())
import pydantic
from sagetrim.deploy import handlers
assert handlers.__file__.startswith({str(root)!r}) and pydantic.__file__.startswith({str(root)!r})
out = handlers.scan_and_act({{"detail-type": "Scheduled Event", "source": "aws.events"}}, None)
print("RESULT " + json.dumps({{"status": out["status"], "dry_run": out["dry_run"], "regions": out["regions"]}}))
"""
    env = {**os.environ, **sim.env(), "SAGETRIM_STATE_DIR": str(tmp_path / "state"),
           "SAGETRIM_CACHE_DIR": str(tmp_path / "cache"), "SAGETRIM_REGIONS": "us-east-1"}
    for key in ("SAGETRIM_APPLY", "SAGETRIM_CONFIG", "SAGETRIM_STATE", "SAGETRIM_ROLE_ARNS", "PYTHONPATH"):
        env.pop(key, None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert json.loads(line.removeprefix("RESULT ")) == {"status": "ok", "dry_run": True, "regions": ["us-east-1"]}


@needs_lambda_like
def test_given_a_package_over_lambdas_limit_when_built_then_it_fails_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package, "LAMBDA_UNZIPPED_LIMIT", 1024 * 1024)
    with pytest.raises(PackageError, match=r"too big for Lambda: .* MB unzipped \(Lambda takes 1 MB\)"):
        build_package(tmp_path / "big.zip", source="installed", include_sdk=False)
    assert not (tmp_path / "big.zip").exists()


def test_given_a_python_unlike_lambdas_when_packaging_installed_libraries_then_it_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package.platform, "machine", lambda: "arm64")
    with pytest.raises(UsageError, match="does not match Lambda's"):
        build_package(tmp_path / "x.zip", source="installed")
    assert not (tmp_path / "x.zip").exists()
