"""The deployment's version, which names the caches of the pages that open without signal (static/js/my_sw.js).

A digest of what the app serves and renders (its static files and templates), taken once per process: a
deployment that changes any of them gets a new version, and its service worker deletes the older caches when it
takes over. Nothing to edit by hand, and the same on every process of one deployment.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app

#: How much of the listed cases' photos a phone keeps to see without signal (my_sw.js lets the rest go): about
#: twenty photos as phones take them, or four at the upload limit, whatever the number of cases.
OFFLINE_PHOTO_BYTES = 20 * 1024 * 1024


def content_version(*folders: Path) -> str:
    """A short digest of every file under ``folders``: their paths and their bytes."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def deployment_version() -> str:
    """This app's version (``content_version`` of its static files and templates), computed on first use."""
    extensions = current_app.extensions
    if "gridmap.deployment_version" not in extensions:
        assert current_app.static_folder is not None and current_app.template_folder is not None
        root = Path(current_app.root_path)
        extensions["gridmap.deployment_version"] = content_version(
            root / current_app.static_folder, root / str(current_app.template_folder)
        )
    return extensions["gridmap.deployment_version"]
