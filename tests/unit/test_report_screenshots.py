"""build/report.html links the browser tests' screenshots when there are some."""

from __future__ import annotations

from pathlib import Path

from labkit import report


def test_report_links_the_screenshots_only_when_there_are_some(tmp_path: Path) -> None:
    page = report.write_index(report.RunReport(), tmp_path).read_text()
    assert "screenshots" not in page
    shots = tmp_path / "browser"
    shots.mkdir()
    (shots / "02-lab1-connectivity-run1.png").write_bytes(b"\x89PNG")
    page = report.write_index(report.RunReport(), tmp_path).read_text()
    assert '<a href="browser/02-lab1-connectivity-run1.png">02-lab1-connectivity-run1</a>' in page


def test_the_browser_tests_refresh_the_section_without_losing_the_run(tmp_path: Path) -> None:
    shots = tmp_path / "browser"
    shots.mkdir()
    (shots / "00-setup-run1.png").write_bytes(b"\x89PNG")
    report.write_index(report.RunReport(), tmp_path)
    (shots / "03-lab1-flow-log-analysis-query-chart-panel.png").write_bytes(b"\x89PNG")
    page = report.link_screenshots(tmp_path).read_text()
    assert "notebooks passed" in page  # the run's table is still there
    assert page.count("<h2>JupyterLab in a real browser") == 1
    assert "03-lab1-flow-log-analysis-query-chart-panel.png" in page
    alone = tmp_path / "alone"
    (alone / "browser").mkdir(parents=True)
    (alone / "browser" / "00-setup-run1.png").write_bytes(b"\x89PNG")
    assert "browser/00-setup-run1.png" in report.link_screenshots(alone).read_text()
