"""Shared steps of the browser tests: log in, expected (translated) texts, navigation, layout checks."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation
from playwright.sync_api import Page, expect

from core.demo import DEMO_PASSWORD

ZH = "zh-hans"
ZH_CATALOG = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Every menu entry of the app: msgid of the label (= the page's <h1>) and its address.
ENTRIES = {
    "today": ("Today", "/"),
    "notifications": ("Notifications", "/notifications/"),
    "customers": ("Customers", "/customers/"),
    "pool": ("Public pool (公海)", "/customers/pool/"),
    "contacts": ("Industry contacts (0类客户)", "/customers/contacts/"),
    "projects": ("Market projects (市场形势)", "/customers/projects/"),
    "competitors": ("Competitors (竞争对手)", "/customers/competitors/"),
    "import": ("Import from Excel", "/customers/import/"),
    "catalogue": ("Catalogue (产品目录)", "/pitch/"),
    "compare": ("Compare with a competitor", "/pitch/compare/"),
    "sheet": ("Pitch sheet (推介单)", "/pitch/sheet/"),
    "playbook": ("Objection playbook (异议处理)", "/pitch/objections/"),
    "answers": ("Answers that work", "/pitch/objections/report/"),
    "policies": ("Commercial policies (商务政策)", "/policies/"),
    "approvals": ("Discount approvals (让价审批)", "/policies/approvals/"),
    "my_requests": ("My discount requests", "/policies/approvals/"),
    "deals": ("Deals (商机)", "/orders/deals/"),
    "funnel": ("Sales funnel (销售漏斗)", "/orders/funnel/"),
    "deliveries": ("Deliveries (交车)", "/orders/deliveries/"),
    "machines": ("Machines in stock (库存整机)", "/orders/machines/"),
    "dossiers": ("Dossiers to verify (分期资料审核)", "/orders/dossier/"),
    "receivables": ("Receivable accounts (应收账户)", "/receivables/"),
    "ageing": ("Ageing (账龄)", "/receivables/ageing/"),
    "receivables_import": ("Import running contracts (存量合同导入)", "/receivables/import/"),
    "worklist": ("Collection worklist (催收清单)", "/receivables/worklist/"),
    "expected": ("Expected vs collected (应收与实收)", "/receivables/collection/expected/"),
    "effectiveness": ("Technique effectiveness (技巧效果)", "/receivables/collection/techniques/"),
    "kpis": ("Collection KPIs (回款考核)", "/receivables/kpis/"),
    "watch": ("Watch list (风险关注)", "/receivables/watch/"),
    "escalations": ("Escalations and settlements (升级审批)", "/receivables/escalations/"),
    "risk_settings": ("Risk settings (风险设置)", "/receivables/risk/settings/"),
    "plan": ("Visit plan (拜访计划)", "/visits/"),
    "report": ("Daily report (日报)", "/visits/report/"),
    "review": ("Evening review (笔记回顾)", "/visits/review/"),
    "team": ("Team reports (团队日报)", "/visits/team/"),
    "map": ("Check-in map (签到地图)", "/visits/map/"),
    "flagged": ("Flagged check-ins (异常签到)", "/visits/flagged/"),
    "analytics": ("Visit analytics (拜访分析)", "/visits/analytics/"),
    "audit": ("Audit trail", "/audit/"),
    "account": ("My account", "/account/"),
}
# What each role finds in the menu, in order (customers/navigation.py); the phone's bottom bar
# holds BOTTOM_BAR only, the rest is in the ☰ drawer.
_INTEL = ["pool", "contacts", "projects", "competitors"]
_PITCH = ["catalogue", "compare"]
_PLAYBOOK = ["sheet", "playbook", "answers"]
MENU = {
    "salesperson": [
        "today",
        "notifications",
        "customers",
        *_INTEL,
        *_PITCH,
        *_PLAYBOOK,
        "policies",
        "my_requests",
        "deals",
        "funnel",
        "deliveries",
        "receivables",
        "ageing",
        "worklist",
        "expected",
        "watch",
        "kpis",
        "plan",
        "report",
        "review",
        "account",
    ],
    "manager": [
        "today",
        "notifications",
        "customers",
        *_INTEL,
        "import",
        *_PITCH,
        *_PLAYBOOK,
        "policies",
        "approvals",
        "deals",
        "funnel",
        "deliveries",
        "machines",
        "receivables",
        "ageing",
        "worklist",
        "expected",
        "effectiveness",
        "watch",
        "escalations",
        "kpis",
        "plan",
        "review",
        "team",
        "map",
        "flagged",
        "analytics",
        "account",
    ],
    "finance": [
        "today",
        "notifications",
        "customers",
        "policies",
        "deals",
        "funnel",
        "deliveries",
        "dossiers",
        "receivables",
        "ageing",
        "receivables_import",
        "worklist",
        "expected",
        "effectiveness",
        "watch",
        "escalations",
        "kpis",
        "account",
    ],
    "service": ["today", "notifications", "contacts", *_PITCH, "deliveries", "machines", "account"],
    "admin": [
        "today",
        "notifications",
        "customers",
        *_INTEL,
        "import",
        *_PITCH,
        *_PLAYBOOK,
        "policies",
        "approvals",
        "deals",
        "funnel",
        "deliveries",
        "machines",
        "dossiers",
        "receivables",
        "ageing",
        "receivables_import",
        "worklist",
        "expected",
        "effectiveness",
        "watch",
        "escalations",
        "kpis",
        "review",
        "team",
        "map",
        "flagged",
        "analytics",
        "audit",
        "account",
        "risk_settings",
    ],
}
BOTTOM_BAR = {"today", "notifications", "customers", "plan", "account"}


def t(msgid: str, lang: str = ZH) -> str:
    """The text the app shows for ``msgid`` in ``lang`` (English until the catalogue has it)."""
    with translation.override(lang):
        return str(translation.gettext(msgid))


def exact(text: str) -> re.Pattern:
    """Whole-text match, ignoring surrounding white space."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form.card button[type=submit]").click()


def login_ok(page: Page, username: str) -> None:
    login(page, username)
    expect(page).to_have_url(re.compile(r"/$"))
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text(exact(t("Today")))


def is_phone(page: Page) -> bool:
    return page.viewport_size["width"] < 900


def menu(page: Page):
    """The visible menu: the bottom bar on a phone, the side navigation on a desktop."""
    return page.locator("nav.bottomnav" if is_phone(page) else "nav.sidenav")


def go(page: Page, entry: str) -> None:
    """Follow a menu entry the way a user would at this screen size and check the page's heading."""
    label, url = ENTRIES[entry]
    if is_phone(page) and entry not in BOTTOM_BAR:
        page.locator("[data-testid=menu-toggle]").click()
        expect(page.locator("nav.sidenav")).to_be_visible()
        link = page.locator(f'nav.sidenav a[href="{url}"]')
    else:
        link = menu(page).locator(f'a[href="{url}"]')
    expect(link).to_be_visible()
    with page.expect_navigation(url=re.compile(rf"{re.escape(url)}$")):
        link.click()
    expect(page.locator("h1")).to_have_text(exact(t(label)))
    assert_fits_width(page)


def assert_fits_width(page: Page) -> None:
    """Nothing sticks out sideways (no horizontal scrolling), and fixed bars do not hide content."""
    page.wait_for_load_state("load")  # measure the styled page, not one still loading
    overflow = page.evaluate(
        """() => {
            const doc = document.documentElement;
            const out = [];
            if (doc.scrollWidth > window.innerWidth + 1) out.push(`page ${doc.scrollWidth}px > ${window.innerWidth}px`);
            for (const el of document.querySelectorAll('main *')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > window.innerWidth + 1)
                    out.push(`${el.tagName}.${el.className} right=${Math.round(r.right)}`);
                if (out.length > 5) break;
            }
            const bar = document.querySelector('nav.bottomnav');
            const last = document.querySelector('main')?.lastElementChild;
            if (bar && last && getComputedStyle(bar).display !== 'none') {
                window.scrollTo(0, document.documentElement.scrollHeight);
                const hidden = last.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
                if (hidden > 0) out.push(`${location.pathname}: the bottom bar hides the last ${Math.round(hidden)}px`);
                window.scrollTo(0, 0);
            }
            return out;
        }"""
    )
    assert not overflow, f"content wider than the screen: {overflow}"


def mark_document(page: Page) -> None:
    """Tag the current document; ``assert_same_document`` then proves no full page load happened."""
    page.evaluate("window.__digdealNoReload = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__digdealNoReload === true"), "the page was reloaded instead of swapped by HTMX"


def customer_pks_on_page(page: Page) -> list[int]:
    hrefs = page.locator("[data-testid=customer-list] a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return [int(m.group(1)) for h in hrefs if (m := re.fullmatch(r"/customers/(\d+)/", h or ""))]


def result_count(page: Page, n: int):
    """The "N customers" line shows exactly ``n``."""
    expect(page.locator("[data-testid=result-count]")).to_have_text(re.compile(rf"^\D*\b{n}\b\D*$"))
