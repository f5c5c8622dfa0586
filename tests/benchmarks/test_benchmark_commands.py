"""The benchmark scripts start: `--help` describes each, and tiny runs of the load, close-sync memory and History
benchmarks measure (exit 0, goals met, or 1, missed) rather than fail to run (2); a tiny run of the
exactly-once benchmark's settle window meets its goal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 120  # seconds: stops a run that hangs; the tiny runs take about 10 s
GOAL_STATUSES = (0, 1)


def benchmark(script: str, *options: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "PMS_SYNC_TEST_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *options],
        capture_output=True, text=True, cwd=ROOT, env=environment, timeout=HANG_GUARD,
    )


@pytest.mark.parametrize(
    ("script", "options"),
    [
        ("import_depth.py", ("--runs", "--tls", "--think")),
        ("close_sync.py", ("--runs", "--tls")),
        ("drift.py", ("--runs", "--tls", "--matters", "--latency")),
        ("load.py", ("--runs", "--users", "--duration", "--no-tls")),
        ("history_filter.py", ("--runs", "--attempts", "--database")),
        ("exactly_once.py", ("--runs", "--settle", "--late", "--poll", "--no-takeover")),
    ],
)
def test_help_describes_the_options(script: str, options: tuple[str, ...]) -> None:
    result = benchmark(script, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")
    for option in options:
        assert option in result.stdout


@pytest.mark.benchmark
def test_a_tiny_load_run_measures_over_https() -> None:
    result = benchmark("load.py", "--scenario", "4", "--users", "2", "--duration", "1")
    assert result.returncode in GOAL_STATUSES, result.stdout + result.stderr
    assert "HTTPS to the sandbox" in result.stdout
    previews = re.search(r"^previews / s .*?(\d+\.\d) / ", result.stdout, re.MULTILINE)
    assert previews is not None and float(previews.group(1)) > 0, result.stdout
    assert re.search(r"^  (met   |MISSED)  4-party previews, 2 users, L = 50 ms, errors", result.stdout, re.MULTILINE)


@pytest.mark.benchmark
def test_a_tiny_import_run_previews_then_imports_each_matter_and_counts_its_calls() -> None:
    result = benchmark("import_depth.py", "--latency", "0.01", "--think", "0")
    assert result.returncode == 0, result.stdout + result.stderr  # no goal is set at 10 ms: 0 unless it could not run
    assert "each matter previewed (not measured), then imported 0 s later" in result.stdout
    for parties, matter, calls in (("1", "82005", "5"), ("10", "82006", "22"), ("50", "82007", "102")):
        row = re.search(rf"^{parties} +{matter} +1 +{calls} +\d+ / \d+ \([\d ]+\) +4 / 4 \(4 4 4\)", result.stdout, re.MULTILINE)
        assert row is not None, f"matter {matter}: one agent call, {calls} Clio Operate calls, depth 4 seen from the service\n{result.stdout}"


@pytest.mark.benchmark
def test_a_tiny_history_run_finds_nothing_with_each_filter() -> None:
    result = benchmark("history_filter.py", "--attempts", "2000", "--runs", "3")
    assert result.returncode in GOAL_STATUSES, result.stdout + result.stderr
    goal_lines = re.findall(r"^  (?:met   |MISSED)  SQLite, .*$", result.stdout, re.MULTILINE)
    assert len(goal_lines) == 6, result.stdout
    assert not any("rows, not none" in line for line in goal_lines), result.stdout


@pytest.mark.benchmark
def test_a_tiny_close_sync_memory_run_finds_its_candidates() -> None:
    result = benchmark("close_sync.py", "--imported", "500", "--latency", "0.01")
    assert result.returncode in GOAL_STATUSES, result.stdout + result.stderr
    assert re.search(r"^  peak RSS MB: \d+\.\d / ", result.stdout, re.MULTILINE), result.stdout
    assert "OK: close-sync found the expected candidates in every run." in result.stdout, result.stdout


@pytest.mark.benchmark
def test_a_tiny_settle_window_run_leaves_one_work_item() -> None:
    result = benchmark("exactly_once.py", "--settle", "2", "--late", "1", "--no-takeover")
    assert result.returncode == 0, result.stdout + result.stderr
    refused = re.search(r"^retries refused until, s +(\d+\.\d+) / ", result.stdout, re.MULTILINE)
    succeeded = re.search(r"^first retry succeeded at, s +(\d+\.\d+) / ", result.stdout, re.MULTILINE)
    assert refused and succeeded, result.stdout
    assert 0 < float(refused.group(1)) < float(succeeded.group(1)) <= 2 + 1, "refused while the write was late, then found"
    assert re.search(r"^work items of the matter +1 / 1 \(1 1 1\)$", result.stdout, re.MULTILINE), result.stdout
    assert "OK: 2 of 2 goals met." in result.stdout
