"""The README's screenshots, from a running `demo --serve`.

    kroonika --db sqlite://kroonika-demo.db demo --force --serve &
    $KROONIKA_E2E_PYTHON tests/e2e/readme_screenshots.py http://127.0.0.1:8080

Signs in as the demo's coordinator mari and photographs My work and the most
urgent case on it, then as the service owner tiina the mediation report by
quarter, into cli/server/screenshots/.
"""

import os
import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "cli", "server", "screenshots")
CHROMIUM = os.environ.get("KROONIKA_CHROMIUM", "/usr/bin/chromium")

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="et-EE")
    page.goto(f"{BASE}/login")
    page.get_by_label("Kasutajanimi").fill("mari")
    page.get_by_label("Parool").fill("kroonika-demo")
    page.get_by_role("button", name="Logi sisse").click()
    page.get_by_role("heading", name="Minu töö").wait_for()
    page.screenshot(path=os.path.join(OUT, "my-work.png"))
    page.locator("table.work tbody a").first.click()
    page.get_by_role("heading", name="Ajalugu").wait_for()
    page.screenshot(path=os.path.join(OUT, "case.png"), full_page=True)
    page.get_by_role("button", name="Logi välja").click()
    page.get_by_label("Kasutajanimi").fill("tiina")
    page.get_by_label("Parool").fill("kroonika-demo")
    page.get_by_role("button", name="Logi sisse").click()
    page.get_by_role("link", name="Aruanded").click()
    page.get_by_label("Periood").select_option("year")
    page.get_by_role("button", name="Näita").click()
    page.get_by_role("heading", name="Juhtumite teekond").wait_for()
    page.screenshot(path=os.path.join(OUT, "report.png"))
    browser.close()
