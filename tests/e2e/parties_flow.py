"""Several people in one case, in a real browser (Debian's headless Chromium,
driven by Playwright; no browser is downloaded).

Run by the integration test `parties::several_people_are_listed_in_the_browser`
on a mediation case listing one further pupil, a minor: the coordinator adds
her mother as her legal representative on the case's page, and the class
teacher on a row folded away (rows left blank are ignored; a row without a
name is refused and said so), sees both listed
by role and number with their names masked, then revealed. Every page is
checked with axe-core. Prints one JSON line: what was checked.
"""

import json
import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

from axe_check import accessible as check_page

BASE = os.environ["KROONIKA_BASE"]
PASSWORD = os.environ["KROONIKA_PASSWORD"]
CASE = os.environ["KROONIKA_CASE"]
PUPIL = os.environ["KROONIKA_PUPIL"]
MOTHER = os.environ["KROONIKA_MOTHER"]
TEACHER = os.environ["KROONIKA_TEACHER"]
CHROMIUM = os.environ.get("KROONIKA_CHROMIUM", "/usr/bin/chromium")

checked = []


def accessible(page, name):
    """axe-core on the page: no serious or critical violation; no screenshot."""
    check_page(page, name, checked, None)


def add_parties(page):
    """Unfolds the step 'Lisa osapooli' and returns its form."""
    step = page.locator("details.step").filter(
        has=page.locator("summary", has_text="Lisa osapooli")
    )
    if step.get_attribute("open") is None:
        step.locator(":scope > summary").click()
    return step


def run(page):
    page.goto(f"{BASE}/cases/{CASE}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Kasutajanimi").fill("mari")
    page.get_by_label("Parool").fill(PASSWORD)
    page.get_by_role("button", name="Logi sisse").click()
    expect(page.locator("ul.people")).to_contain_text("Kannatanu (parties-1)")
    accessible(page, "listed")

    # A row with a role and no name is refused, and the page says why.
    step = add_parties(page)
    step.get_by_label("Roll 1", exact=True).select_option("representative")
    step.get_by_role("button", name=re.compile("Lisa osapooli")).click()
    expect(page.get_by_role("alert").first).to_contain_text("needs a role and a name")
    accessible(page, "refused")

    # The mother, representing the pupil; the other rows left blank.
    step = add_parties(page)
    step.get_by_label("Roll 1", exact=True).select_option("representative")
    step.get_by_label("Nimi 1", exact=True).fill(MOTHER)
    step.get_by_label("Kontakt 1", exact=True).fill("+372 5555 0404")
    step.get_by_label("Esindab 1", exact=True).select_option("parties-1")
    # And, on one of the rows folded away, the class teacher.
    step.locator("details.more > summary").click()
    step.get_by_label("Roll 5", exact=True).select_option("participant")
    step.get_by_label("Nimi 5", exact=True).fill(TEACHER)
    step.get_by_role("button", name=re.compile("Lisa osapooli")).click()
    people = page.locator("ul.people")
    expect(people).to_contain_text("Alaealise seaduslik esindaja (parties-2)")
    expect(people).to_contain_text("esindab parties-1")
    expect(people).to_contain_text("(parties-3)")
    if MOTHER in people.inner_text():
        raise AssertionError("a name shown before it was revealed")
    accessible(page, "added")

    # Revealed with a purpose: both names.
    page.get_by_label("Eesmärk").fill("preparing the conference")
    page.get_by_role("button", name=re.compile("Näita isikuandmeid")).click()
    expect(page.locator("ul.people")).to_contain_text(PUPIL)
    expect(page.locator("ul.people")).to_contain_text(MOTHER)
    accessible(page, "revealed")


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(locale="et-EE")
        try:
            run(page)
        finally:
            browser.close()
    json.dump({"checked": checked}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
