import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, request, test } from "@playwright/test";
import { hydrated, password, signIn } from "./auth";

// Issue #8, with the simulator and the clock: on a server of its own (`serve --clock-control`),
// `swipesavvy simulate --live` plays a simulated world; the performance lead starts a creative
// test from Module 5 on its campaign; the simulator follows the running test (its known truth: a
// challenger written in the product clicks 1.5× its campaign's rate); the administrator moves the
// server's clock past the test's planned end; the fixed-horizon test gives the verdict, the lead
// ships the winner, and the compliance officer finds the decision and the clock's move in the
// audit log.

const run = promisify(execFile);

/** The simulated world: one campaign, many users, so that each arm gets about 2,000 members in
 * the journey's minute of traffic (the arms are a hash of the test's random id, so the verdict
 * must not hang on luck: at a 9–14% base click rate and a 1.5× lift the expected z is above 5). */
const WORLD = ["--seed", "11", "--users", "60000", "--days", "9", "--campaigns", "1"];

/** Runs `simulate --live` against the clock server for `seconds` at `rate` events a second. */
async function simulate(seconds: number, rate: number) {
  const binary = process.env.SWIPESAVVY_BIN!;
  const args = ["simulate", "--to-url", process.env.CLOCK_BASE_URL!, "--live", ...WORLD, "--rate", String(rate), "--duration-seconds", String(seconds)];
  // The key travels in the environment, not the command line.
  await run(binary, args, { env: { ...process.env, SWIPESAVVY_API_KEY: process.env.CLOCK_API_KEY }, timeout: (seconds + 60) * 1_000 });
}

test("with the simulator and the clock moved past the planned end, the fixed-horizon verdict ships the winner", async ({ page, baseURL, browser }) => {
  test.skip(!process.env.CLOCK_BASE_URL || !process.env.SWIPESAVVY_BIN, "needs a server started with --clock-control (cargo xtask test starts one)");
  test.setTimeout(240_000);

  // The simulator creates its world's campaign (and sends a second of traffic).
  await simulate(1, 10);
  await signIn(page, "perf_lead");
  const leaderboard = await (await page.request.get("/api/v1/campaigns")).json();
  const campaign = leaderboard.rows.find((r: any) => r.name === "Discount #1");
  expect(campaign, "the simulated campaign is in the catalogue").toBeTruthy();

  // Module 5: the creative's row menu offers the test; the challenger is a clone with a new headline.
  await page.goto(`/campaigns/${campaign.campaign_id}`);
  await hydrated(page);
  await page.getByLabel("Actions for creative Variant A").click();
  await page.getByRole("link", { name: "A/B test (clone + modify)" }).click();
  await expect(page).toHaveURL(/\/experiments\/new\?campaign=/);
  await hydrated(page);
  const form = page.getByRole("region", { name: "Test form" });
  await form.getByLabel("Headline").fill("Only 100 left this weekend");
  await form.getByLabel("Name", { exact: true }).fill("Scarcity");
  await form.getByLabel("Smallest lift worth finding, % of the baseline").fill("30");
  await form.getByLabel("Duration, days (1 to 90)").fill("7");
  // Judged on click rate alone: the simulated unsubscribes do not depend on the creative, so a
  // guardrail would only add a chance of a false alarm (the other journey covers guardrails).
  await form.getByRole("checkbox", { name: "unsubscribe rate" }).uncheck();
  await form.getByRole("button", { name: "Create the test (draft)" }).click();
  await expect(page).toHaveURL(/\/experiments\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop()!;
  await hydrated(page);
  await page.getByText("Start test…").click();
  await page.getByRole("button", { name: "Confirm start" }).click();
  await expect(page.locator(".pill--running")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Verdict:" })).toContainText("No members yet");

  // The simulator delivers the campaign, each user the creative of their arm.
  await simulate(60, 4_000);
  await page.reload();
  await hydrated(page);
  await expect(page.locator(".pill--running")).toBeVisible();
  await expect(page.getByText("Before the planned end, only the always-valid (sequential) test can declare a winner.")).toBeVisible();
  const during = await (await page.request.get(`/api/v1/experiments/${id}`)).json();
  for (const arm of during.results.outcomes[0].arms) {
    expect(arm.n, "each arm has its members").toBeGreaterThan(1_000);
  }

  // The administrator moves the server's clock a day past the planned end (7 days).
  const admin = await request.newContext({ baseURL });
  const login = await admin.post("/api/v1/auth/login", { data: { email: "admin@e2e.test", password }, headers: { origin: baseURL! } });
  expect(login.status()).toBe(200);
  const moved = await admin.post("/api/v1/admin/clock", { data: { advance_seconds: 8 * 86_400 }, headers: { origin: baseURL! } });
  expect(moved.status(), await moved.text()).toBe(200);
  expect((await moved.json()).ahead_seconds).toBeGreaterThanOrEqual(8 * 86_400 - 60);
  await admin.dispose();

  // Eight days on, the lead's session has ended; signed in again, the fixed-horizon test decides.
  await signIn(page, "perf_lead");
  await page.goto(`/experiments/${id}`);
  await hydrated(page);
  await expect(page.getByText("The planned duration is over: the fixed-horizon test decides.")).toBeVisible();
  const verdict = page.getByRole("status").filter({ hasText: "Verdict:" });
  await expect(verdict).toContainText("Scarcity wins on click rate");
  await expect(verdict).not.toContainText("before the planned end");

  // Ship the winner: the challenger takes the campaign, the control is paused.
  await page.getByText("Ship winner…").click();
  await expect(page.getByLabel("Arm to roll out to 100%")).toHaveValue("1");
  await page.getByRole("button", { name: "Confirm ship" }).click();
  await expect(page.locator(".pill--shipped")).toBeVisible();
  const after = await (await page.request.get(`/api/v1/campaigns/${campaign.campaign_id}`)).json();
  const status = Object.fromEntries(after.creatives.map((c: any) => [c.name, c.status]));
  expect(status["Scarcity"]).toBe("active");
  expect(status["Variant A"]).toBe("paused");

  // The audit log shows the decision, who took it, and the clock's move.
  const officer = await browser.newPage({ baseURL });
  await signIn(officer, "compliance");
  await officer.goto("/compliance?action=experiment.ship");
  await hydrated(officer);
  const rows = officer.getByRole("table", { name: "Audit log" }).locator("tbody tr");
  await expect(rows.filter({ hasText: `experiment:${id}` })).toContainText("perf_lead@e2e.test");
  await officer.goto("/compliance?action=clock.advance");
  await hydrated(officer);
  await expect(rows.filter({ hasText: "clock" })).toContainText("admin@e2e.test");
  await officer.close();
});
