"""A coordinator, a facilitator, the service owner and an auditor at work in a real browser (Debian's
headless Chromium, driven by Playwright; no browser is downloaded).

Run by the integration test `web::people_work_in_the_browser`, which starts
`kroonika serve` on a fresh store and checks the log afterwards. Every page is
checked with axe-core: no serious or critical violation. Screenshots go to
KROONIKA_SCREENSHOTS. Prints one JSON line: what the Rust side checks next.
"""

import json
import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

from axe_check import accessible as check_page

BASE = os.environ["KROONIKA_BASE"]
PASSWORD = os.environ["KROONIKA_PASSWORD"]
SHOTS = os.environ["KROONIKA_SCREENSHOTS"]
VICTIM = os.environ["KROONIKA_VICTIM"]
PHONE = os.environ["KROONIKA_PHONE"]
CHROMIUM = os.environ.get("KROONIKA_CHROMIUM", "/usr/bin/chromium")

checked = []


def accessible(page, name):
    """axe-core on the page: no serious or critical violation; a screenshot."""
    check_page(page, name, checked, SHOTS)


def fits_phone(page, what):
    """The page on a 390 px wide phone: nothing wider than the screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    if width > 390:
        raise AssertionError(f"{what} is {width} px wide on a 390 px phone")


def sign_in(page, name):
    page.goto(f"{BASE}/work")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Kasutajanimi").fill(name)
    page.get_by_label("Parool").fill(PASSWORD)
    page.get_by_role("button", name="Logi sisse").click()
    expect(page.get_by_role("heading", name="Minu töö")).to_be_visible()


def open_step(page, name):
    """Unfolds a step's form (a refused one is unfolded already)."""
    step = page.locator("details.step").filter(
        has=page.locator("summary", has_text=name)
    )
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    return step


def sign_out(page):
    page.get_by_role("button", name="Logi välja").click()
    expect(page.get_by_role("heading", name="Logi sisse")).to_be_visible()


def run(page):
    """The whole visit; returns the case's reference."""

    # A wrong password: the page says so, in Estonian.
    page.goto(f"{BASE}/login")
    accessible(page, "01-sign-in")
    page.get_by_label("Kasutajanimi").fill("mari")
    page.get_by_label("Parool").fill("not her password")
    page.get_by_role("button", name="Logi sisse").click()
    expect(page.get_by_role("alert")).to_contain_text("Vale kasutajanimi või parool")

    # The coordinator: my work, then a case opened with the form.
    sign_in(page, "mari")
    accessible(page, "02-my-work-empty")
    page.get_by_role("link", name=re.compile("Ava uus juhtum")).first.click()
    accessible(page, "03-open-case")
    page.get_by_label(re.compile("^referral_source")).select_option("school")
    page.get_by_label(re.compile("^referred_on")).fill("2026-11-20")
    page.get_by_label(re.compile("^victim_name")).fill(VICTIM)
    page.get_by_label(re.compile("^victim_phone")).fill(PHONE)
    page.get_by_role("button", name="Ava").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^SC-\d{4}-\d{4}$"))
    reference = heading.inner_text()
    expect(page.get_by_text("Contact the referrer and check suitability.")).to_be_visible()
    expect(page.locator("dl.data")).not_to_contain_text(VICTIM)
    page.locator("details.diagram summary").click()
    drawn = page.locator("details.diagram img").evaluate(
        "img => img.decode().then(() => img.naturalWidth > 0, () => false)"
    )
    if not drawn:
        raise AssertionError("the case's diagram is not drawn")
    accessible(page, "04-case")

    # A step the rule refuses: the rule's message, in place.
    open_step(page, "assign")
    page.get_by_label(re.compile("^facilitators")).select_option(["jaan"])
    page.get_by_role("button", name="Tee: assign").click()
    expect(page.get_by_role("alert").first).to_contain_text("A conference needs two facilitators.")
    accessible(page, "05-refused")
    open_step(page, "assign")
    page.get_by_label(re.compile("^facilitators")).select_option(["jaan", "piret"])
    page.get_by_role("button", name="Tee: assign").click()
    expect(page.locator("dl.facts")).to_contain_text("preparation")

    # A note, then the personal data shown with a purpose.
    page.get_by_label("Lisa märge").fill("Helistasin kannatanule; kohtumine neljapäeval")
    page.get_by_role("button", name="Lisa märge").click()
    expect(page.locator("ul.notes")).to_contain_text("mari")
    page.get_by_label(re.compile("^Eesmärk")).fill("calling the harmed person")
    page.get_by_role("button", name="Näita isikuandmeid").click()
    expect(page.locator("dl.data")).to_contain_text(VICTIM)
    expect(page.locator("ul.notes")).to_contain_text("kohtumine neljapäeval")
    accessible(page, "06-revealed")

    # Found by name from my work, the search recorded.
    page.goto(f"{BASE}/work")
    page.get_by_label("Nimi").fill(VICTIM.upper())
    page.get_by_label(re.compile("^Eesmärk")).fill("she called back")
    page.get_by_role("button", name="Otsi").click()
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(VICTIM)
    accessible(page, "07-found")

    # English, by choice.
    page.get_by_role("link", name="English").click()
    page.goto(f"{BASE}/work")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    page.get_by_role("link", name="Eesti keeles").click()
    sign_out(page)

    # The facilitator: the case is on their list; the checklist ticked,
    # unticked with a reason, and ticked again.
    sign_in(page, "jaan")
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    accessible(page, "08-my-work")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name=re.compile(r"Märgi tehtuks\s*: Harmed person consents")).click()
    expect(page.locator("#task-victim-consent")).to_contain_text("tehtud")
    page.locator("#task-victim-consent").get_by_label("Põhjus").fill("ticked on the wrong case")
    page.locator("#task-victim-consent").get_by_role("button", name="Võta märge tagasi").click()
    expect(page.locator("#task-victim-consent")).to_contain_text("tegemata")
    page.get_by_role("button", name=re.compile(r"Märgi tehtuks\s*: Harmed person consents")).click()
    expect(page.locator("#task-victim-consent")).to_contain_text("tehtud")
    accessible(page, "09-checklist")

    # A phone's width: the same page, nothing cut off.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{BASE}/work")
    accessible(page, "10-phone")
    fits_phone(page, "my work")
    page.goto(f"{BASE}/cases/{reference}")
    fits_phone(page, "the case page")
    sign_out(page)

    # The service owner: a broken definition's problems shown against its
    # lines; the fixed one published.
    sign_in(page, "tiina")
    page.get_by_role("link", name="Protsessid").click()
    accessible(page, "11-definitions")
    fits_phone(page, "the definitions page")
    with open("data/definitions/school-conference.yaml", encoding="utf-8") as f:
        source = f.read()
    page.get_by_label("Kirjelduse tekst").fill(source.replace("initial: referred", "initial: refered"))
    page.get_by_role("button", name="Kontrolli").click()
    expect(page.get_by_role("alert")).to_contain_text("viga")
    expect(page.locator("ol.diagnostics")).to_contain_text("refered")
    expect(page.locator("pre.source .bad")).to_contain_text("initial: refered")
    accessible(page, "12-diagnostics")
    fixed = source.replace(
        "Contact the referrer and check suitability.", "Contact the referrer within two days."
    )
    page.get_by_label("Kirjelduse tekst").fill(fixed)
    page.get_by_role("button", name="Avalda").click()
    expect(page.get_by_role("status").first).to_contain_text("school-conference 2")
    # The running case on version 1, as the service owner may see it: counted.
    page.get_by_role("link", name=re.compile("Käimasolevate juhtumite üleviimine")).click()
    expect(page.locator("main table")).to_contain_text("saab viia ise")
    expect(page.locator("main")).not_to_contain_text(reference)
    accessible(page, "13-migrations")
    # The report, filtered, and the same as CSV.
    page.get_by_role("link", name="Aruanded").click()
    page.get_by_label("Periood").select_option("month")
    page.get_by_role("button", name="Näita").click()
    expect(page.get_by_role("heading", name="Juhtumite teekond")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(VICTIM)
    accessible(page, "14-report")
    csv = page.request.get(BASE + page.get_by_role("link", name="Laadi alla CSV").get_attribute("href"))
    if not csv.ok or "text/csv" not in csv.headers["content-type"]:
        raise AssertionError(f"the report's CSV: {csv.status} {csv.headers}")
    fits_phone(page, "the report")
    sign_out(page)

    # The administrator: people, roles, passwords and tokens.
    sign_in(page, "anu")
    page.get_by_role("link", name="Inimesed").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    accessible(page, "15-people")
    fits_phone(page, "the people page")
    sign_out(page)

    # The auditor: the trail, then the log verified, its head to write down.
    sign_in(page, "aili")
    page.get_by_role("link", name="Audit").click()
    expect(page.locator("main table")).to_contain_text(reference)
    accessible(page, "16-trail")
    page.get_by_role("link", name="Kontrolli logi").click()
    expect(page.get_by_role("status")).to_contain_text("Logi on terve")
    expect(page.locator("code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    accessible(page, "17-verify")
    return reference


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        reference = run(page)
    except Exception:
        # Where it stopped, for whoever reads the failure.
        page.screenshot(path=os.path.join(SHOTS, "failure.png"), full_page=True)
        print(page.url, file=sys.stderr)
        print(page.locator("main").inner_text(), file=sys.stderr)
        raise
    browser.close()

print(json.dumps({"reference": reference, "checked": checked}))
