"""Static files under versioned addresses: ``/static/js/portal.js?v=<content hash>``.

nginx serves ``/static/`` itself with a year's cache (docs/deploy.md); a release that changes
a file changes its address, so no browser keeps yesterday's script. The hash is of the
file's content (the same on every instance), computed again only when the file changes.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app


def version_static_urls(endpoint: str, values: dict) -> None:
    """url_defaults: ``url_for('static', filename=…)`` gets ``v=`` the file's content hash."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = Path(current_app.static_folder or "", values["filename"])
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return  # no such file: its address stays as it is (a 404 when asked)
    values["v"] = _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
