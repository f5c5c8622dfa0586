"""Where the agent logs: stderr and, when a directory is set, a rotating file in it.

On Windows the directory defaults to ``%ProgramData%\\PMS Sync Agent\\logs`` (a service has no
console to read); elsewhere the file is written only when ``PMS_AGENT_LOG_DIR`` names one. Every
line passes through a formatter that masks the configured secrets (API keys, the database
password, the relay key, the metrics token), so neither a message nor a traceback carries them.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

LOG_DIR = "PMS_AGENT_LOG_DIR"
LOG_FILE = "pms-sync-agent.log"
MAX_BYTES = 10 * 1024 * 1024
BACKUP_COUNT = 10
"""Ten rotated files of 10 MB each besides the current one."""
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"


def log_dir_from_environment(
    environ: Mapping[str, str] = os.environ, *, windows: bool = os.name == "nt"
) -> Path | None:
    configured = environ.get(LOG_DIR, "").strip()
    if configured:
        return Path(configured)
    if windows:
        return Path(environ.get("ProgramData") or r"C:\ProgramData") / "PMS Sync Agent" / "logs"
    return None


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then replaces every configured secret with ``***``."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        # longest first, so a secret containing another is masked whole
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, MASK)
        return line


def configure_logging(
    log_dir: Path | None, secrets: Iterable[str], *, stream: TextIO | None = None
) -> Path | None:
    """Send the root logger's INFO and above to ``stream`` (stderr) and to a rotating file in
    ``log_dir``; answer the file's path (``None`` without a directory)."""
    formatter = RedactingFormatter(secrets)
    handlers: list[logging.Handler] = [logging.StreamHandler(stream or sys.stderr)]
    path = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_FILE
        handlers.append(
            RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
        )
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
