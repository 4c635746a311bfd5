"""Fetch the pinned front-end packages from npm into static/vendor/ (with their licences).

The map pages must work with no internet, so every JS/CSS file is served from
here. The list, with versions, is static/vendor/vendor.json. Needs npm; the
result is committed, so nothing else ever runs this.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "static" / "vendor"


def fetch(entry: dict, workdir: Path) -> None:
    spec = f"{entry['package']}@{entry['version']}"
    tarball = (
        subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    target = VENDOR / entry["dir"]
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(workdir / tarball) as archive:
        for name in [*entry["files"], entry["licence"]]:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{spec}: {name} missing from the package")
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(member.read())
    print(f"vendored {spec} -> static/vendor/{entry['dir']}")


def main() -> None:
    manifest = json.loads((VENDOR / "vendor.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest["packages"]:
            fetch(entry, Path(tmp))


if __name__ == "__main__":
    main()
