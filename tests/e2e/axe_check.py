"""The accessibility check every browser test makes of every page it visits:
axe-core finds no serious or critical violation (and, when a folder is given,
a screenshot of the whole page is kept)."""

import os

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()


def accessible(page, name, checked, shots=None):
    """Raises with each serious or critical violation; notes `name` as checked."""
    results = _axe.run(page)
    bad = [
        v
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    if bad:
        raise AssertionError(
            f"{name}: accessibility violations: "
            + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} places)" for v in bad)
        )
    if shots:
        page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)
    checked.append(name)
