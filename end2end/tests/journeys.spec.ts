import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./auth";
import { activeCampaign, campaignActivity, type Creative } from "./catalogue";
import { count, metric, money, percent, points, ratio } from "./format";
import { api, world } from "./world";

// The spec's persona workflows (PART 3), end to end on the seeded server, asserting on what the
// person sees against what the API answers for the same filters.

const TWO_CREATIVES: Creative[] = [
  { name: "Variant A", headline: "Save 20% this weekend", body: "Members only, while stocks last.", call_to_action: "Shop now" },
  { name: "Variant B", headline: "Weekend Flash Sale", body: "Limited time. Limited stock.", call_to_action: "Grab deals" },
];

const dash = (v: number | null, f: (x: number) => string) => (v === null ? "—" : f(v));

test("CMO: ROAS against its target, the campaigns under 2.5x, one campaign and its creatives, paused; then the Action Center's pause of the worst campaign, seen in the leaderboard and, by compliance, in the audit log", async ({ page, baseURL, browser }) => {
  test.setTimeout(120_000);
  const name = `E2E CMO ${Date.now()}`;
  const campaign = await activeCampaign(baseURL!, name, TWO_CREATIVES);
  await campaignActivity(baseURL!, campaign, 40, 400);
  // The worst campaign: live for 8 days (backdated start) and returning about 1.2x over the last week.
  const worstName = `E2E worst ${Date.now()}`;
  const worst = await activeCampaign(baseURL!, worstName, TWO_CREATIVES, new Date(Date.now() - 8 * 86_400_000).toISOString());
  await campaignActivity(baseURL!, worst, 40, 400);
  await signIn(page, "cmo");
  // The events just sent reach the rollups a moment later and the 1-day window slides, so the
  // page and the API are read again together until nothing changed between the two reads.
  const card = page.getByRole("article", { name: "ROAS" });
  await expect(async () => {
    await page.goto("/?range=1d");
    await hydrated(page);
    const metrics = await api(page, "/api/v1/metrics?range=1d");
    const roas = metrics.metrics.find((m: any) => m.id === "roas");
    await expect(card.getByTestId("kpi-value")).toHaveText(metric(roas.value, roas.unit), { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(card).toContainText("Target ≥ 3.5×");

  // The card drills into the leaderboard, narrowed to the campaigns under 2.5x.
  await card.getByRole("link").click();
  await expect(page).toHaveURL(/\/campaigns\?.*roas_below=2\.5/);
  const leaderboard = page.getByRole("table", { name: "Campaign leaderboard" });
  const row = leaderboard.getByRole("row").filter({ has: page.getByRole("rowheader", { name, exact: true }) });
  await expect(row).toHaveCount(1);
  await row.getByRole("link", { name, exact: true }).click();

  // The campaign: its figures are the API's, its creatives are listed.
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaign.id}\\?`));
  await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();
  const detail = await api(page, `/api/v1/campaigns/${campaign.id}/performance?range=1d`);
  expect(detail.totals.roas).toBeLessThan(2.5);
  const tiles = page.getByRole("region", { name: "Campaign figures over the period" });
  await expect(tiles).toContainText(`ROAS${ratio(detail.totals.roas)}`);
  await expect(tiles).toContainText(`Revenue${money(detail.totals.revenue)}`);
  await expect(tiles).toContainText(`Clicks${count(detail.totals.clicks)}`);
  const creatives = page.getByRole("table", { name: "Creative breakdown" }).locator("tbody tr");
  await expect(creatives).toHaveCount(2);

  // Pause it, with a confirmation and a reason; the page and the API both say paused.
  await hydrated(page);
  const actions = page.getByRole("group", { name: "Campaign actions" });
  const pause = actions.getByText("Pause campaign…").locator("..");
  await pause.getByText("Pause campaign…").click();
  await pause.getByLabel("Reason (kept in the audit log)").fill("ROAS under 2.5x for the board");
  await pause.getByRole("button", { name: "Confirm pause" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${name} is now paused` })).toBeVisible();
  await expect(actions.getByText("Resume campaign…")).toBeVisible();
  await expect(page.getByRole("region", { name }).getByText("paused", { exact: true })).toBeVisible();
  expect((await api(page, `/api/v1/campaigns/${campaign.id}`)).status).toBe("paused");

  // On to the Action Center: the engine recommends pausing the campaign losing money for a week.
  await page.goto("/actions?kind=pause_campaign");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Action Center" })).toBeVisible();
  // The engine runs every few minutes; Refresh runs it now. The page listens live first.
  await expect(page.getByTestId("live-indicator")).toContainText("Live");
  const clicked = Date.now();
  await page.getByRole("button", { name: "Refresh now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Refreshed:" })).toBeVisible();
  const queue = await api(page, "/api/v1/recommendations?kind=pause_campaign&limit=500");
  const rec = queue.items.find((i: any) => i.recommendation.target.id === worst.id);
  expect(rec, "a pause recommendation for the losing campaign").toBeTruthy();
  if (Date.parse(rec.created_at) >= clicked - 1_000) {
    // Found by this refresh (not by the server's own schedule before it): announced over the socket.
    const announced = page.getByTestId("new-recommendations");
    await expect(announced).toContainText(rec.recommendation.title);
    await announced.getByRole("button", { name: "Show them" }).click();
    await expect(announced).toHaveCount(0);
  }
  expect(rec.recommendation.trigger).toBe("low_roas");
  const recommended = page.getByRole("article", { name: rec.recommendation.title });
  await expect(recommended).toContainText(rec.recommendation.primary_reason);

  // The detail: the figures against their targets, why, what pausing would do.
  await recommended.getByRole("link", { name: "View details" }).click();
  await expect(page).toHaveURL(new RegExp(`/actions/${rec.id}$`));
  await expect(page.getByRole("table", { name: "Current performance" })).toContainText("ROAS (7 days)");
  await expect(page.getByRole("region", { name: "Why this recommendation?" })).toContainText(rec.recommendation.evidence[0]);
  await expect(page.getByRole("region", { name: "If you act" })).toContainText("Spend saved (7 days)");
  await hydrated(page);
  const decide = page.getByRole("region", { name: "Decide" });
  await decide.getByText("Pause campaign…").click();
  await decide.getByLabel("Note (kept in the audit log)").first().fill("Below 2x for a week");
  await decide.getByRole("button", { name: "Confirm: pause campaign" }).click();
  await expect(page.getByRole("status").filter({ hasText: "was carried out" })).toBeVisible();
  expect((await api(page, `/api/v1/campaigns/${worst.id}`)).status).toBe("paused");
  expect((await api(page, `/api/v1/recommendations/${rec.id}`)).status).toBe("executed");
  await expect(page.getByRole("region", { name: "Outcome" })).toContainText("Not measured yet");

  // Its outcome is measured once the evaluation window has passed: the Outcomes tab says when.
  await page.goto("/actions/outcomes?kind=pause_campaign");
  await expect(page.getByRole("heading", { level: 1, name: "Action Center" })).toBeVisible();
  const executed = page.getByRole("table", { name: "Executed recommendations" }).getByRole("row").filter({ has: page.getByRole("rowheader", { name: rec.recommendation.title }) });
  await expect(executed).toContainText("Measured after");
  const outcomes = await api(page, "/api/v1/recommendations/outcomes?kind=pause_campaign");
  const mine = outcomes.items.find((i: any) => i.id === rec.id);
  expect(mine.outcome).toBeNull();
  await expect(page.getByRole("status").filter({ hasText: "were executed" })).toContainText(`${outcomes.acceptance.executed} of ${outcomes.acceptance.shown} shown`);

  // The leaderboard lists it as paused.
  await page.goto("/campaigns?range=1d&status=paused");
  const pausedRow = page.getByRole("table", { name: "Campaign leaderboard" }).getByRole("row").filter({ has: page.getByRole("rowheader", { name: worstName, exact: true }) });
  await expect(pausedRow).toContainText("paused");

  // The compliance officer finds the pause, by the CMO, in the audit log.
  const officer = await browser.newPage({ baseURL });
  await signIn(officer, "compliance");
  await officer.goto(`/compliance?action=campaign.pause&campaign=${worst.id}`);
  await hydrated(officer);
  const rows = officer.getByRole("table", { name: "Audit log" }).locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("cmo@e2e.test");
  await officer.close();
});

test("Performance lead: leaderboard by ROAS, the top campaign, the best creative, the worst paused, the checkout drop-off, incrementality with its interval", async ({ page, baseURL }) => {
  const name = `E2E perf ${Date.now()}`;
  const campaign = await activeCampaign(baseURL!, name, TWO_CREATIVES);
  await campaignActivity(baseURL!, campaign, 40, 400);
  await signIn(page, "perf_lead");

  // The leaderboard is sorted by ROAS, best first; the top campaign opens with its creatives.
  await page.goto(`/campaigns?${world}`);
  const leaderboard = page.getByRole("table", { name: "Campaign leaderboard" });
  await expect(leaderboard.getByRole("columnheader", { name: "ROAS" })).toHaveAttribute("aria-sort", "descending");
  const top = (await api(page, `/api/v1/campaigns?${world}&per_page=25`)).rows[0];
  const first = leaderboard.locator("tbody tr").first();
  await expect(first.getByRole("rowheader")).toHaveText(top.name);
  await hydrated(page);
  await first.getByRole("link", { name: top.name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 2, name: top.name })).toBeVisible();
  const topDetail = await api(page, `/api/v1/campaigns/${top.campaign_id}/performance?${world}`);
  await expect(page.getByRole("table", { name: "Creative breakdown" }).locator("tbody tr")).toHaveCount(topDetail.creatives.length);
  // Its best creative, as the API notes it.
  const topBest = topDetail.creatives.find((c: any) => c.notes.includes("Best CTR"));
  if (topBest) {
    const bestRow = page.getByRole("table", { name: "Creative breakdown" }).getByRole("row").filter({ hasText: topBest.name });
    await expect(bestRow.first()).toContainText("Best CTR");
  }

  // A campaign of two creatives: the best CTR is noted, the lowest ROAS is paused.
  await page.goto(`/campaigns/${campaign.id}?range=1d`);
  await hydrated(page);
  const detail = await api(page, `/api/v1/campaigns/${campaign.id}/performance?range=1d`);
  const best = detail.creatives.find((c: any) => c.notes.includes("Best CTR"));
  expect(best, "one creative has the best CTR").toBeTruthy();
  const table = page.getByRole("table", { name: "Creative breakdown" });
  const rowOf = (c: any) => table.getByRole("row").filter({ hasText: c.headline });
  await expect(rowOf(best)).toContainText("Best CTR");
  // Boost the best: its share of the treatment users rises from a half to 130 ÷ 230.
  await rowOf(best).getByLabel(`Actions for creative ${best.name}`).click();
  await rowOf(best).getByText("Boost (+30% share)…").click();
  await rowOf(best).getByRole("button", { name: "Confirm boost" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Creative ${best.name} is now active, weight 130%` })).toBeVisible();
  await expect(rowOf(best).getByRole("cell").nth(4)).toHaveText(percent((100 * 130) / 230));
  await expect(page.locator("details[open]"), "a completed action closes its menu").toHaveCount(0);
  const worst = [...detail.creatives].sort((a: any, b: any) => (a.roas ?? Infinity) - (b.roas ?? Infinity))[0];
  const worstRow = rowOf(worst);
  await expect(worstRow).toContainText(dash(worst.roas, ratio));
  await worstRow.getByLabel(`Actions for creative ${worst.name}`).click();
  // The confirmation opened by "Pause creative…" (the summary's own details element).
  const pause = worstRow.getByText("Pause creative…").locator("..");
  await pause.getByText("Pause creative…").click();
  await pause.getByLabel("Reason (kept in the audit log)").fill("Lowest ROAS of the campaign");
  await pause.getByRole("button", { name: "Confirm pause" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Creative ${worst.name} is now paused` })).toBeVisible();
  await expect(rowOf(worst).getByRole("cell").nth(3)).toHaveText("paused");
  const stored = await api(page, `/api/v1/campaigns/${campaign.id}`);
  expect(stored.creatives.find((c: any) => c.id === worst.creative_id).status).toBe("paused");

  // The funnel shows the checkout drop-off (add to cart → purchase), as the API computes it.
  await page.goto(`/funnel?campaign=${campaign.id}&range=1d`);
  const funnel = (await api(page, `/api/v1/funnel?campaign=${campaign.id}&range=1d`)).funnel;
  const purchase = funnel.steps.find((s: any) => s.step === "purchase");
  expect(purchase.drop_off).toBeGreaterThan(0);
  const steps = page.getByRole("table", { name: "Funnel steps" });
  await expect(steps.getByRole("row").filter({ hasText: "Purchase" })).toContainText(`${count(purchase.drop_off)} (${percent(purchase.drop_off_rate)})`);
  await expect(page.getByRole("region", { name: "Conversion funnel" }).getByRole("note")).toHaveText(funnel.insight);

  // The ROI deep dive: incrementality with its 95% interval, as the API has it.
  await page.goto(`/insights?${world}`);
  const roi = await api(page, `/api/v1/roi?${world}`);
  const measured = roi.campaigns.find((r: any) => r.absolute_lift_interval && r.incrementality_percent !== null);
  expect(measured, "a seeded campaign with a measured lift").toBeTruthy();
  const roiRow = page.getByRole("table", { name: "Treatment vs holdout" }).getByRole("row").filter({ has: page.getByRole("rowheader", { name: measured.name, exact: true }) });
  await expect(roiRow).toContainText(`95% CI ${points(measured.absolute_lift_interval.low)} to ${points(measured.absolute_lift_interval.high)}`);
  await expect(roiRow).toContainText(percent(measured.incrementality_percent));
});

test("Rewards PM: the segment picker, SEASONAL_SPENDER, its campaigns, its heatmap, CAC against LTV", async ({ page }) => {
  await signIn(page, "rewards_pm");
  await page.goto(`/segments?${world}`);
  await hydrated(page);
  const table = page.getByRole("table", { name: "Segments" });
  await expect(table.locator("tbody tr")).toHaveCount(8);
  const seasonal = (await api(page, `/api/v1/segments?${world}`)).segments.find((s: any) => s.segment === "SEASONAL_SPENDER");

  // Choosing the segment highlights it and narrows every module (the global filter).
  await table.getByRole("link", { name: "SEASONAL_SPENDER", exact: true }).click();
  await expect(page).toHaveURL(/segment=SEASONAL_SPENDER/);
  const row = table.getByRole("row").filter({ has: page.getByRole("link", { name: "SEASONAL_SPENDER", exact: true }) });
  await expect(row).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("list", { name: "Active filters" })).toContainText("SEASONAL_SPENDER");
  // The navigation carries the filters: every section opens on the same segment and period.
  await expect(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Funnel" })).toHaveAttribute("href", /segment=SEASONAL_SPENDER/);

  // CAC against LTV, as the API computes them.
  const cells = row.getByRole("cell");
  await expect(cells.nth(1)).toHaveText(count(seasonal.size));
  await expect(cells.nth(2)).toHaveText(dash(seasonal.ltv, money));
  await expect(cells.nth(3)).toHaveText(dash(seasonal.cac, money));

  // The table downloads as CSV, the same figures unformatted.
  const csv = page.getByRole("link", { name: "Download CSV" }).first();
  await expect(csv).toHaveAttribute("download", "segments.csv");
  const text = decodeURIComponent((await csv.getAttribute("href"))!.replace(/^data:text\/csv;charset=utf-8,/, ""));
  expect(text).toContain(`\r\nSEASONAL_SPENDER,${seasonal.size},`);

  // Its campaigns.
  await row.getByRole("link", { name: "Campaigns" }).click();
  await expect(page).toHaveURL(/\/campaigns\?.*segment=SEASONAL_SPENDER/);
  const campaigns = await api(page, `/api/v1/campaigns?${world}&segment=SEASONAL_SPENDER&per_page=25`);
  const leaderboard = page.getByRole("table", { name: "Campaign leaderboard" });
  await expect(leaderboard.locator("tbody tr")).toHaveCount(campaigns.rows.length);
  await expect(leaderboard.locator("tbody tr").first().getByRole("rowheader")).toHaveText(campaigns.rows[0].name);

  // Its engagement heatmap, with the peak windows named.
  await page.goBack();
  await page.getByRole("table", { name: "Segments" }).getByRole("row").filter({ has: page.getByRole("link", { name: "SEASONAL_SPENDER", exact: true }) }).getByRole("link", { name: "Heatmap" }).click();
  await expect(page).toHaveURL(/\/funnel\?.*segment=SEASONAL_SPENDER/);
  const heatmap = await api(page, `/api/v1/heatmap?${world}&segment=SEASONAL_SPENDER`);
  const panel = page.getByRole("region", { name: "Engagement heatmap" });
  await expect(panel).toContainText("Clicks by day of week and UTC hour, SEASONAL_SPENDER");
  await expect(panel.getByRole("note")).toHaveText(heatmap.insight);
  expect(heatmap.peaks.length).toBeGreaterThan(0);
  for (const peak of heatmap.peaks) {
    await expect(panel.getByRole("list", { name: "Peak windows" })).toContainText(peak.label);
  }
  await hydrated(page);
  await expect(page.locator("#heatmap-chart canvas")).toHaveCount(1);
});

test("Data scientist: sets an alert rule on System Health, sees it listed with the metric alerts, and deletes it", async ({ page }) => {
  await signIn(page, "data_science");
  await page.goto("/system-health");
  await hydrated(page);
  await expect(page.getByRole("region", { name: "Metric alerts" })).toBeVisible();
  const rules = page.getByRole("region", { name: "Alert rules" });
  const name = `E2E ROAS watch ${Date.now()}`;
  await rules.getByText("New rule…").click();
  await rules.getByLabel("Name").fill(name);
  await rules.getByLabel("Metric").selectOption("roas");
  await rules.getByLabel("When it is").selectOption("below");
  await rules.getByLabel("Threshold").fill("2.5");
  await rules.getByLabel("For days").fill("2");
  await rules.getByRole("button", { name: "Create rule" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Rule "${name}" created` })).toBeVisible();
  const item = rules.getByRole("listitem").filter({ hasText: name });
  await expect(item).toContainText("ROAS below 2.5 for 2 days");
  const listed = await api(page, "/api/v1/alert-rules");
  expect(listed.some((r: any) => r.name === name && r.metric === "roas" && r.for_days === 2)).toBe(true);
  await item.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Rule deleted." })).toBeVisible();
  await expect(rules.getByRole("listitem").filter({ hasText: name })).toHaveCount(0);
});
