import { expect, type Page, test } from "@playwright/test";
import { hydrated, signIn } from "./auth";

// Keyboard-only use (DESIGN.md, issue 6's quality bar): on every section, Tab alone reaches every
// visible control of the page, and each one shows where the focus is.

/** Names each visible control of the page by what a person would tell apart (its tag, role, name,
 *  target); rows repeating the same control share a name, and reaching one of them is enough. */
async function controls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const selector = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
    const shown = (e: Element) => {
      const r = e.getBoundingClientRect();
      const s = getComputedStyle(e);
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !e.closest("[hidden], [inert]");
    };
    const name = (e: Element) =>
      [e.tagName, e.getAttribute("role"), e.getAttribute("aria-label"), e.getAttribute("name"), e.getAttribute("href"), (e.textContent ?? "").trim().slice(0, 40)].join("|");
    (window as any).__controlName = name;
    return [...new Set([...document.querySelectorAll(selector)].filter(shown).map(name))];
  });
}

/** The focused element's name, and whether it (or the label or element drawn for it) shows focus. */
async function focused(page: Page): Promise<{ name: string; visible: boolean } | null> {
  return page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const drawn = [e, e.closest("label"), e.nextElementSibling].filter((x): x is Element => x !== null);
    const visible = drawn.some((x) => {
      const s = getComputedStyle(x);
      return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
    });
    return { name: (window as any).__controlName(e), visible };
  });
}

async function walk(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  const all = await controls(page);
  expect(all.length, `${path} has controls`).toBeGreaterThan(0);
  const reached = new Set<string>();
  const unmarked: string[] = [];
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  // Twice the controls, and some: repeated rows share a name, so there are more stops than names.
  for (let i = 0; i < 2 * all.length + 40 && all.some((c) => !reached.has(c)); i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    if (!now) continue;
    reached.add(now.name);
    if (!now.visible) unmarked.push(now.name);
  }
  const missed = all.filter((c) => !reached.has(c));
  expect(missed, `${path}: controls Tab never reached`).toEqual([]);
  expect([...new Set(unmarked)], `${path}: controls focused without a visible focus`).toEqual([]);
}

// Written in stop 22 and not yet run against a server: fixme until a session runs it and fixes
// what it finds (remove the fixme then).
test.fixme("Tab alone reaches every control of every section, each with a visible focus", async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page, "admin");
  for (const path of ["/", "/campaigns", "/segments", "/funnel", "/insights", "/actions", "/compliance", "/system-health", "/admin", "/account"]) {
    await walk(page, path);
  }
  await page.goto("/campaigns");
  const campaign = await page.locator("main table a[href^='/campaigns/']").first().getAttribute("href");
  expect(campaign).toBeTruthy();
  await walk(page, campaign!);
});
