"""Browser tests: Debian's chromium driven by Playwright's sync API against pytest-django's live server.

Self-contained (does not rely on tests/conftest.py). Every test gets freshly seeded demo data
(one company, 2 regions, one login per role, 40 customers, to-dos) and its own browser context at
one of two sizes: a phone (375×812, touch) and a desktop (1280×800).

On failure a full-page PNG is kept in test-artifacts/failures/<test-name>.png.
"""

import os

# Playwright's sync API runs an asyncio event loop in this thread; Django would refuse ORM calls
# made from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
TIMEOUT_MS = 20_000  # two workers share the cores (bin/test runs pytest-xdist): room for a slow moment
SEED = 2026


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (bin/test does it).")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    """The screen size: "phone" or "desktop". Narrow a test with parametrize("viewport", [...], indirect=True)."""
    return request.param


@pytest.fixture
def demo(transactional_db):
    """Seeded demo data in the test database; yields the SeedContext (ctx.users by username). After the
    test, the receivables reconciliation must find no difference."""
    from core.demo import make_context, seed_org, seed_todos
    from customers.demo import seed_customers

    ctx = make_context(SEED)
    seed_org(ctx)
    seed_customers(ctx, count=40)
    seed_todos(ctx)
    yield ctx
    # whatever the test did through the pages, the receivables ledger still adds up
    # (manage.py reconcile_receivables, run on this test's database before it is flushed)
    from receivables.management.commands.reconcile_receivables import differences

    assert differences() == [], "reconcile_receivables found differences after the browser test"


@pytest.fixture
def page(request, chromium, viewport, live_server, demo):
    """A fresh browser tab (own cookies) at the chosen size, Chinese locale, base URL = live server."""
    context = chromium.new_context(
        **VIEWPORTS[viewport],
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    request.node._browser_page = tab
    yield tab
    context.close()


def _artifact_name(nodeid_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", nodeid_name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when not in ("setup", "call") or not report.failed:
        return
    tab = getattr(item, "_browser_page", None)
    if tab is None or tab.is_closed():
        return
    target = ARTIFACTS / "failures" / f"{_artifact_name(item.name)}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import Error as PlaywrightError

    try:
        tab.screenshot(path=str(target), full_page=True, timeout=5_000)
    except (PlaywrightError, OSError) as exc:  # a screenshot must never hide the real failure
        report.sections.append(("failure screenshot", f"could not save {target}: {exc}"))
    else:
        report.sections.append(("failure screenshot", str(target)))
