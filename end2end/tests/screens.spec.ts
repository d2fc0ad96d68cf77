import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { hydrated, signIn, type Role } from "./auth";

// Every page in both themes: a screenshot saved as a test artifact (end2end/screenshots/), and
// axe-core's WCAG 2.1 AA rules with no serious or critical violation.

const THEMES = ["light", "dark"] as const;

/** The pages, each opened by a role that may see it. `campaign` is filled in at run time. */
const PAGES: { name: string; path: string; role: Role; heading: string }[] = [
  { name: "overview", path: "/", role: "cmo", heading: "Overview" },
  { name: "campaigns", path: "/campaigns", role: "cmo", heading: "Campaigns" },
  { name: "campaign", path: "campaign", role: "perf_lead", heading: "Campaign detail" },
  { name: "new-campaign", path: "/campaigns/new", role: "perf_lead", heading: "New campaign" },
  { name: "segments", path: "/segments", role: "rewards_pm", heading: "Segments" },
  { name: "funnel", path: "/funnel", role: "lifecycle_lead", heading: "Funnel" },
  { name: "insights", path: "/insights", role: "data_science", heading: "Insights" },
  { name: "actions", path: "/actions", role: "perf_lead", heading: "Action Center" },
  { name: "experiments", path: "/experiments", role: "perf_lead", heading: "Experiments" },
  { name: "compliance", path: "/compliance", role: "compliance", heading: "Compliance" },
  { name: "system-health", path: "/system-health", role: "data_science", heading: "System health" },
  { name: "admin", path: "/admin", role: "admin", heading: "Administration" },
  { name: "account", path: "/account", role: "cmo", heading: "Your account" },
  { name: "login", path: "/login", role: "cmo", heading: "Sign in" },
];

async function firstCampaign(page: Page): Promise<string> {
  const res = await page.request.get("/api/v1/campaigns?per_page=1");
  expect(res.status()).toBe(200);
  const body = await res.json();
  return `/campaigns/${body.rows[0].campaign_id}`;
}

async function axe(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe on ${label}`).toEqual([]);
}

for (const spec of PAGES) {
  test(`${spec.name}: screenshots and accessibility in both themes`, async ({ page, baseURL }, info) => {
    if (spec.name !== "login") {
      await signIn(page, spec.role);
    }
    const path = spec.path === "campaign" ? await firstCampaign(page) : spec.path;
    for (const theme of THEMES) {
      await page.context().addCookies([{ name: "ss_theme", value: theme, url: baseURL! }]);
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      await expect(page.getByRole("heading", { level: 1, name: spec.heading })).toBeVisible();
      // Charts are drawn after hydration; let them finish their first animation.
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(600);
      await page.screenshot({ path: `screenshots/${info.project.name}/${spec.name}-${theme}.png`, fullPage: true });
      await axe(page, `${spec.name} (${theme}, ${info.project.name})`);
    }
  });
}
