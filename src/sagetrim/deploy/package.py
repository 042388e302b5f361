"""Build the Lambda deployment package: sagetrim without its simulated account, plus the libraries the
handlers import, as wheels for Lambda's Python (CPython 3.11 on linux x86_64).

What goes in, and why (:data:`RUNTIME_DEPENDENCIES`): pydantic and PyYAML read the settings, croniter and
tzdata evaluate schedules in their time zones (tzdata because zoneinfo needs the IANA database and the Lambda
image is not guaranteed to carry it), and boto3 with botocore: Lambda's runtime ships an SDK of its own, but
an older one that AWS updates on its own schedule, and sagetrim needs boto3 1.35 or newer and recreates
endpoints from the service model it was tested with. ``include_sdk=False`` leaves the SDK out (about
two thirds of the package). Left out: Typer, Rich and Jinja2 (the CLI and its reports, which the handlers never
import) and moto and NumPy (the simulated account, ``sagetrim.sim``, which is not shipped).
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from sagetrim.errors import SagetrimError, UsageError
from sagetrim.safetext import printable

__all__ = [
    "LAMBDA_UNZIPPED_LIMIT",
    "LAMBDA_ZIPPED_LIMIT",
    "RUNTIME_DEPENDENCIES",
    "PackageError",
    "PackageReport",
    "build_package",
    "package_files",
]

LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024  # a zip uploaded directly
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # the function's code, unzipped, however it is uploaded
PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.11"
EXCLUDED = ("sim",)  # subpackages of sagetrim that stay out of the package
RUNTIME_DEPENDENCIES = {
    "pydantic": "validates the settings",
    "PyYAML": "reads the settings",
    "croniter": "evaluates schedule expressions",
    "tzdata": "the IANA time zones for zoneinfo",
}
SDK_DEPENDENCIES = {"boto3": "the AWS SDK sagetrim is tested with (Lambda's own lags behind)"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same inputs give the same zip
_LEVEL = 6  # zlib's default: level 9 takes twice as long for 0.2% less
Source = Literal["pip", "installed"]


class PackageError(SagetrimError):
    """The deployment package could not be built, or is too big for Lambda."""


@dataclass(frozen=True)
class PackageReport:
    """What `sagetrim deploy package` built."""

    path: Path
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    dependencies: dict[str, str] = field(default_factory=dict)  # distribution -> version
    python_version: str = PYTHON_VERSION
    platform: str = PLATFORM
    source: Source = "pip"

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["path"] = str(self.path)
        doc["zipped_mb"] = round(self.zipped_bytes / 1024 / 1024, 2)
        doc["unzipped_mb"] = round(self.unzipped_bytes / 1024 / 1024, 2)
        return doc


def _skipped(relative: Path) -> bool:
    return "__pycache__" in relative.parts or relative.suffix in (".pyc", ".pyo")


def package_files(root: Path | None = None) -> list[tuple[Path, str]]:
    """The files of the sagetrim package that go into the zip, as (path on disk, name in the zip).

    Args:
        root: the ``sagetrim`` package directory; the one imported by default.
    """
    if root is None:
        import sagetrim

        root = Path(sagetrim.__file__).parent
    out = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or _skipped(relative) or relative.parts[0] in EXCLUDED:
            continue
        out.append((path, f"sagetrim/{relative.as_posix()}"))
    return out


def _pinned(names: Iterable[str]) -> list[str]:
    """Each requirement pinned to the version installed here, when there is one (what the tests ran with)."""
    out = []
    for name in names:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(name)
    return out


def _pip_install(requirements: Sequence[str], target: Path, python_version: str, wheel_platform: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
               "--target", str(target), "--platform", wheel_platform, "--implementation", "cp",
               "--python-version", python_version, "--only-binary=:all:", *requirements]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackageError(f"could not run pip to fetch the dependencies: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
        raise PackageError(f"pip could not fetch wheels for {wheel_platform} / Python {python_version} "
                           f"({' '.join(requirements)}):\n{tail}")


def _requirement(text: str) -> tuple[str, bool]:
    """A requirement's distribution name, and whether it applies to Lambda's Python (no extras)."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover - without packaging, pip's copy of it
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[assignment]
    requirement = Requirement(text)
    if requirement.marker is None:
        return requirement.name, True
    environment = {"python_version": PYTHON_VERSION, "python_full_version": f"{PYTHON_VERSION}.0",
                   "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython",
                   "os_name": "posix", "extra": ""}
    return requirement.name, bool(requirement.marker.evaluate(environment))


def _copy_installed(names: Iterable[str], target: Path) -> None:
    """Copy installed distributions and what they require from this environment (which must match Lambda's)."""
    here = (sys.implementation.name, f"{sys.version_info[0]}.{sys.version_info[1]}", sys.platform,
            platform.machine())
    if here != ("cpython", PYTHON_VERSION, "linux", "x86_64"):
        raise UsageError(f"this Python ({' '.join(here)}) does not match Lambda's (cpython {PYTHON_VERSION} linux "
                         "x86_64), so its installed libraries cannot be shipped; build from wheels instead")
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise PackageError(f"{name} is not installed here; install it or build from wheels") from exc
        for entry in dist.files or []:
            relative = Path(str(entry))
            if relative.parts[0] == ".." or _skipped(relative):
                continue
            source = Path(str(dist.locate_file(entry)))
            if source.is_file():
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
        for text in dist.requires or []:
            required, applies = _requirement(text)
            if applies:
                todo.append(required)


def _distributions(target: Path) -> dict[str, str]:
    out = {}
    for info in sorted(target.glob("*.dist-info")):
        fields = dict(line.split(": ", 1) for line in (info / "METADATA").read_text(encoding="utf-8").splitlines()
                      if ": " in line and not line.startswith(" "))
        if "Name" in fields and "Version" in fields:
            out[fields["Name"]] = fields["Version"]
    return out


def _write_zip(path: Path, entries: Iterable[tuple[Path, str]]) -> tuple[int, int]:
    files = unzipped = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as archive:
        for source, name in sorted(entries, key=lambda e: e[1]):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = source.read_bytes()
            archive.writestr(info, data, compresslevel=_LEVEL)
            files += 1
            unzipped += len(data)
    return files, unzipped


def _too_big(what: str) -> PackageError:
    return PackageError(f"the package is too big for Lambda: {what}; nothing was written. Leave the SDK out "
                        "(include_sdk=False) to use the Lambda runtime's.")


def build_package(out: Path, *, include_sdk: bool = True, source: Source = "pip",
                  python_version: str = PYTHON_VERSION, wheel_platform: str = PLATFORM) -> PackageReport:
    """Build the Lambda deployment zip.

    Args:
        out: where to write the zip (replaced if it exists).
        include_sdk: ship boto3 and botocore instead of using the Lambda runtime's.
        source: ``pip`` fetches wheels for Lambda's platform; ``installed`` copies the libraries of this
            environment, which must itself be CPython 3.11 on linux x86_64 (offline, and fast).
        python_version: Lambda's Python version, for the wheels.
        wheel_platform: Lambda's platform tag, for the wheels.

    Returns:
        The zip's path, sizes, file count and the versions of what it ships.

    Raises:
        PackageError: pip failed, or the package is over Lambda's size limits.
        UsageError: ``installed`` on an environment that does not match Lambda's.
    """
    names = [*RUNTIME_DEPENDENCIES, *(SDK_DEPENDENCIES if include_sdk else {})]
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sagetrim-package-") as tmp:
        deps = Path(tmp) / "deps"
        deps.mkdir()
        if source == "pip":
            _pip_install(_pinned(names), deps, python_version, wheel_platform)
        else:
            _copy_installed(names, deps)
        shutil.rmtree(deps / "bin", ignore_errors=True)  # console scripts: of no use in Lambda
        dependencies = _distributions(deps)
        entries = [(p, p.relative_to(deps).as_posix()) for p in sorted(deps.rglob("*"))
                   if p.is_file() and not _skipped(p.relative_to(deps))]
        if any(name.startswith("sagetrim/") for _, name in entries):
            raise PackageError("a dependency brought its own copy of sagetrim; nothing was written")
        everything = [*package_files(), *entries]
        unzipped = sum(path.stat().st_size for path, _ in everything)
        if unzipped > LAMBDA_UNZIPPED_LIMIT:
            raise _too_big(f"{unzipped / 2**20:.1f} MB unzipped (Lambda takes {LAMBDA_UNZIPPED_LIMIT / 2**20:.0f} MB)")
        partial = Path(tmp) / out.name
        files, _ = _write_zip(partial, everything)
        zipped = partial.stat().st_size
        if zipped > LAMBDA_ZIPPED_LIMIT:
            raise _too_big(f"{zipped / 2**20:.1f} MB zipped (Lambda takes {LAMBDA_ZIPPED_LIMIT / 2**20:.0f} MB)")
        shutil.move(str(partial), out)
    from sagetrim import __version__

    return PackageReport(path=out, zipped_bytes=zipped, unzipped_bytes=unzipped, files=files,
                         dependencies={"sagetrim": __version__, **dependencies}, python_version=python_version,
                         platform=wheel_platform if source == "pip" else "this environment (linux x86_64)",
                         source=source)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sagetrim.deploy OUT.zip [--no-sdk] [--installed]``: build the package, print its report."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m sagetrim.deploy", description="Build the Lambda deployment "
                                     "package and print its size and contents.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-sdk", action="store_true", help="use the Lambda runtime's boto3")
    parser.add_argument("--installed", action="store_true", help="copy this environment's libraries (offline)")
    args = parser.parse_args(argv)
    try:
        report = build_package(args.out, include_sdk=not args.no_sdk, source="installed" if args.installed else "pip")
    except SagetrimError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(report.to_json(), indent=1))
    return 0
