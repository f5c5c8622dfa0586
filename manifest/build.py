"""Builds the Clio Operate widget package (an IDE folder `PmsSync`) with the service URL baked in.

Usage: python -m manifest.build https://pms-sync.example.com manifest/build
Upload the resulting `PmsSync` folder to the tenant's IDE (it is served under `/_ideFiles/PmsSync/`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

WIDGET_SOURCE = Path(__file__).parent / "widget"
IDE_FOLDER = "PmsSync"
SERVICE_URL_PLACEHOLDER = '"__PMS_SYNC_SERVICE_URL__"'


def widget_service_url(service_url: str) -> str:
    """The service URL as the widget holds it: origin plus path, without a trailing slash.

    ValueError unless it is an absolute http(s) URL without credentials, query or fragment
    (the widget derives the exact postMessage origin from it).
    """
    parts = urlsplit(service_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"The service URL must be an absolute http(s) URL, not {service_url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(
            f"The service URL must not carry credentials, a query or a fragment: {service_url!r}"
        )
    if parts.port == 0:  # reading .port also raises ValueError for a malformed port
        raise ValueError(f"The service URL has no usable port: {service_url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def build_widget(service_url: str, out_dir: Path) -> Path:
    """Copy the widget package into `out_dir/PmsSync`, baking in the service URL; return that folder."""
    baked = json.dumps(widget_service_url(service_url))
    target = Path(out_dir) / IDE_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(WIDGET_SOURCE.iterdir()):
        if source.is_file():
            text = source.read_text(encoding="utf-8")
            (target / source.name).write_text(text.replace(SERVICE_URL_PLACEHOLDER, baked), encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the PMS Sync widget package for Clio Operate.")
    parser.add_argument("service_url", help="the PMS Sync service URL the widget embeds")
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path(__file__).parent / "build")
    args = parser.parse_args(argv)
    print(build_widget(args.service_url, args.out_dir))


if __name__ == "__main__":
    main()
