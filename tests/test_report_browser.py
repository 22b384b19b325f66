"""The HTML report as a reader's browser shows it: headless Chromium, first screen only.

The report is written from a Reanalysis of simulated draws (no sampling). A small script
added to a copy of ``index.html`` measures the page after it has loaded and writes the
measurements into the DOM, which Chromium's ``--dump-dom`` prints. Chromium runs with
every host name mapped to nowhere, so a page that needed the network would show it as
failed resource loads.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report_writer import simulated_reanalysis

from bayes_scot.report import write_report

#: A common laptop screen; the first screen is what a reader sees without scrolling.
WIDTH, HEIGHT = 1440, 900

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Chromium (Debian package 'chromium'; .ci/run "
                                       "installs it)")

MEASURE = """
<script>
window.addEventListener("load", function () {
  var screen = window.innerHeight;
  function box(el) { var r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            width: r.width, height: r.height}; }
  var selectors = "h1, h2, h3, p, figcaption, img, th, td, li, summary, label, .ok, .warning";
  var labels = Array.from(document.querySelectorAll(selectors)).filter(function (el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top < screen;
  });
  var overlaps = [];
  for (var i = 0; i < labels.length; i++) {
    for (var j = i + 1; j < labels.length; j++) {
      var a = labels[i], b = labels[j];
      if (a.contains(b) || b.contains(a)) continue;
      var p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
      var dx = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      var dy = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (dx > 1 && dy > 1) overlaps.push([a.tagName + ":" + a.textContent.slice(0, 40),
                                           b.tagName + ":" + b.textContent.slice(0, 40)]);
    }
  }
  var out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({
    screen: screen,
    headline: box(document.querySelector("#headline img")),
    headline_loaded: document.querySelector("#headline img").naturalWidth > 0,
    priors: box(document.querySelector("#prior-table")),
    prior_rows: Array.from(document.querySelectorAll("#prior-table tbody tr")).map(box),
    details: box(document.querySelector("#details")),
    overlaps: overlaps,
    resources: performance.getEntriesByType("resource").map(function (e) { return e.name; })
  });
  document.body.appendChild(out);
});
</script>
"""


def _chromium(*args: str) -> str:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",
               f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars",
               "--virtual-time-budget=5000", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report"
    return write_report(simulated_reanalysis(), out)


@pytest.fixture(scope="module")
def measured(report: Path) -> dict:
    page = (report / "index.html").read_text(encoding="utf-8")
    probe = report.parent / "probe.html"
    probe.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _chromium("--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, "the measuring script did not run"
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&"))


def test_headline_figure_is_whole_in_the_first_screen(measured: dict) -> None:
    headline = measured["headline"]
    assert measured["headline_loaded"]
    assert headline["height"] > 200  # drawn at a readable size, not a thumbnail
    assert headline["top"] >= 0
    assert headline["bottom"] <= measured["screen"]


def test_prior_table_is_in_the_first_screen(measured: dict) -> None:
    rows = measured["prior_rows"]
    assert rows, "the prior table has no rows"
    assert measured["priors"]["top"] < measured["screen"]
    assert all(r["bottom"] <= measured["screen"] for r in rows)  # every prior readable
    assert measured["details"]["top"] > measured["headline"]["bottom"]  # details come after


def test_nothing_overlaps_in_the_first_screen(measured: dict) -> None:
    assert measured["overlaps"] == []


def test_nothing_loads_from_the_network(report: Path, measured: dict) -> None:
    assert measured["resources"] == []
    page = (report / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert all(link.startswith(("data:", "#")) for link in links), links
    assert "@import" not in page
    assert "url(" not in page


def test_screenshot_of_the_first_screen(report: Path) -> None:
    shot = report.parent / "first-screen.png"
    _chromium(f"--screenshot={shot}", (report / "index.html").as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
