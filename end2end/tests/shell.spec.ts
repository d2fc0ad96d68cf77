import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./auth";

test("the dark-mode toggle switches the theme in place and the choice survives a reload", async ({ page }) => {
  await signIn(page, "cmo");
  await hydrated(page);
  const toggle = page.getByRole("button", { name: "Dark mode" });
  const before = await page.locator("html").getAttribute("data-theme");
  const wasDark = (await toggle.getAttribute("aria-pressed")) === "true";

  // A marker on window survives only if the page is not reloaded.
  await page.evaluate(() => ((window as any).__noReload = true));
  await toggle.click();
  const expected = wasDark ? "light" : "dark";
  await expect(page.locator("html")).toHaveAttribute("data-theme", expected);
  await expect(toggle).toHaveAttribute("aria-pressed", wasDark ? "false" : "true");
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  expect(before).not.toBe(expected);

  // The background really changed colour.
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe(expected === "dark" ? "rgb(15, 17, 21)" : "rgb(246, 247, 249)");

  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", expected);
});

test("navigation reaches every section with landmarks and keyboard focus", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/");
  await hydrated(page);
  // The first Tab lands on the skip link, which is visible when focused.
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();

  await expect(page.getByRole("banner")).toContainText("SwipeSavvy Analytics");
  await expect(page.getByRole("main")).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Sections" });
  for (const name of ["Overview", "Campaigns", "Segments", "Funnel", "Insights", "Action Center", "Compliance", "Health", "Admin"]) {
    await expect(nav.getByRole("link", { name, exact: true })).toBeVisible();
  }
  await nav.getByRole("link", { name: "Campaigns", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Campaigns" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Campaigns", exact: true })).toHaveAttribute("aria-current", "page");
});

test("the overview charts the simulated world's ingestion volume", async ({ page }) => {
  await signIn(page, "cmo");
  await hydrated(page);
  await expect(page.locator("#event-volume-chart canvas")).toHaveCount(1);
});

test("the health page draws the database round-trip chart from the server's probes", async ({ page }) => {
  await signIn(page, "data_science");
  await hydrated(page);
  await expect(page.getByTestId("health-status")).toHaveText(/^\s*healthy\s*$/);
  // ECharts draws into a canvas inside the chart element once the page has hydrated.
  await expect(page.locator("#db-latency-chart canvas")).toHaveCount(1);
  // The status card re-checks health from the browser (GET /api/v1/health) without a reload.
  const checked = page.getByTestId("health-checked");
  const first = await checked.textContent();
  await expect(checked).not.toHaveText(first ?? "", { timeout: 15_000 });
});

test("no page scrolls sideways", async ({ page }) => {
  await signIn(page, "admin");
  for (const path of ["/", "/campaigns", "/system-health", "/admin", "/account", "/login"]) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
  }
});
