import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { hydrated, signIn } from "./auth";
import { activeCampaign, envelope, producer } from "./catalogue";

// Issue #8: the performance lead starts a creative test from Module 5 ("A/B test (clone +
// modify)"), sees it running, and once a simulated sender has delivered it with a known effect
// (the challenger clicks twice as often) sees the verdict, ships the winner, and finds the
// decision in the test's history and in the compliance officer's audit log.
//
// The verdict comes from the always-valid (sequential) test, which may decide before the planned
// end: that is the product's rule for a test looked at every day. The fixed-horizon reading at the
// planned end, with the simulator and the clock moved past it, is experiment-clock.spec.ts (on a
// server of its own, so this shared server's clock stays put).

/** A sender that asks the product where each user goes (as a real one does) and delivers the
 * campaign accordingly: the k-th user of the control clicks when k % 10 == 0 (10%), of the
 * challenger when k % 5 == 0 (20%). Returns the users per creative. */
async function simulatedSender(baseURL: string, campaign: any, users: number): Promise<Map<string, number>> {
  const key = await producer(baseURL);
  const perCreative = new Map<string, number>();
  const events: object[] = [];
  const now = Date.now();
  for (let start = 0; start < users; start += 50) {
    const batch = Array.from({ length: Math.min(50, users - start) }, (_, j) => start + j);
    const assignments = await Promise.all(
      batch.map(async (i) => {
        const user = `e2e-exp-${campaign.id.slice(0, 8)}-${i}`;
        const res = await key.get(`/api/v1/campaigns/${campaign.id}/assignment?user_id=${user}&channel=push&region=US-CA`);
        expect(res.status()).toBe(200);
        return [user, await res.json()] as const;
      }),
    );
    for (const [user, a] of assignments) {
      const held = a.group === "holdout";
      expect(held || a.experiment_id, `${user} is in the test`).toBeTruthy();
      const creative = a.creative_id ?? campaign.creatives[0].id;
      events.push(
        envelope("campaign_delivered", user, new Date(now), {
          campaign_id: campaign.id,
          campaign_type: "DISCOUNT",
          creative_id: creative,
          segment_id: "HIGH_SPENDER",
          delivery_channel: "push",
          is_holdout: held,
          // As the assignment answered: the product checks the arm against its hash.
          ...(held ? {} : { experiment_id: a.experiment_id, experiment_arm: a.experiment_arm }),
        }),
      );
      if (held) continue;
      const k = perCreative.get(creative) ?? 0;
      perCreative.set(creative, k + 1);
      const challenger = creative !== campaign.creatives[0].id;
      if (k % (challenger ? 5 : 10) === 0) {
        events.push(envelope("campaign_clicked", user, new Date(now + 1_000), { campaign_id: campaign.id, creative_id: creative, click_type: "cta" }));
      }
    }
  }
  for (let i = 0; i < events.length; i += 1_000) {
    const sent = await key.post("/api/v1/events", { data: events.slice(i, i + 1_000) });
    expect(sent.status(), await sent.text()).toBe(200);
    expect((await sent.json()).rejected).toEqual([]);
  }
  return perCreative;
}

/** No serious or critical WCAG 2.1 AA violation (as screens.spec.ts checks the other pages). */
async function axe(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`), `axe on ${label}`).toEqual([]);
}

async function verdict(page: Page) {
  return page.getByRole("status").filter({ hasText: "Verdict:" });
}

test("a creative test goes from Module 5 to a shipped winner, with the decision audited", async ({ page, baseURL, browser }, testInfo) => {
  test.setTimeout(120_000);
  const campaign = await activeCampaign(baseURL!, `Headline test ${testInfo.project.name} ${Date.now()}`);

  // Module 5: the creative's row menu offers the test.
  await signIn(page, "perf_lead");
  await page.goto(`/campaigns/${campaign.id}`);
  await hydrated(page);
  await page.getByLabel("Actions for creative A").click();
  await page.getByRole("link", { name: "A/B test (clone + modify)" }).click();
  await expect(page).toHaveURL(/\/experiments\/new\?campaign=/);
  await hydrated(page);

  // The challenger is a clone of the creative: change its headline.
  const form = page.getByRole("region", { name: "Test form" });
  await expect(form.getByLabel("Headline")).toHaveValue("Save 20%");
  await form.getByLabel("Headline").fill("Only 100 left this weekend");
  await form.getByLabel("Name", { exact: true }).fill("Scarcity");
  await form.getByLabel("Smallest lift worth finding, % of the baseline").fill("30");
  await form.getByLabel("Duration, days (1 to 90)").fill("7");
  await expect(page.getByRole("region", { name: "Planner" })).toContainText("Users per arm");
  await axe(page, "the new test form");
  await form.getByRole("button", { name: "Create the test (draft)" }).click();
  await expect(page).toHaveURL(/\/experiments\/[0-9a-f-]{36}$/);
  await hydrated(page);
  await expect(page.locator(".pill--draft")).toBeVisible();

  // Start it: running, and nobody in it yet.
  await page.getByText("Start test…").click();
  await page.getByRole("button", { name: "Confirm start" }).click();
  await expect(page.locator(".pill--running")).toBeVisible();
  await expect(await verdict(page)).toContainText("No members yet");
  const id = page.url().split("/").pop()!;

  // A sender delivers it for a while.
  const perCreative = await simulatedSender(baseURL!, campaign, 1_600);
  expect(perCreative.size).toBe(2);

  // The verdict sits above the numbers; the arms table counts what the sender delivered.
  await page.reload();
  await hydrated(page);
  await expect(await verdict(page)).toContainText("Scarcity wins on click rate");
  await expect(await verdict(page)).toContainText("no guardrail harmed");
  const arms = page.getByRole("table", { name: "Arms" });
  const api = await (await page.request.get(`/api/v1/experiments/${id}`)).json();
  for (const arm of api.arms) {
    await expect(arms.getByRole("row", { name: new RegExp(`^${arm.label}\\b`) })).toContainText(String(perCreative.get(arm.creative_id)));
  }
  await expect(page.getByRole("table", { name: "click rate by arm" })).toBeVisible();
  await axe(page, "the experiment's results");

  // Ship the winner: it takes the whole campaign, the control is paused.
  await page.getByText("Ship winner…").click();
  await expect(page.getByLabel("Arm to roll out to 100%")).toHaveValue("1");
  await page.getByRole("button", { name: "Confirm ship" }).click();
  await expect(page.locator(".pill--shipped")).toBeVisible();
  await expect(page.getByRole("region", { name: "History" })).toContainText("experiment.ship");
  const after = await (await page.request.get(`/api/v1/campaigns/${campaign.id}`)).json();
  expect(after.creatives.map((c: any) => [c.name, c.status])).toEqual([
    ["A", "paused"],
    ["Scarcity", "active"],
  ]);

  // The compliance officer's audit log shows the decision and who took it.
  const officer = await browser.newPage({ baseURL });
  await signIn(officer, "compliance");
  await officer.goto("/compliance?action=experiment.ship");
  await hydrated(officer);
  const rows = officer.getByRole("table", { name: "Audit log" }).locator("tbody tr");
  await expect(rows.filter({ hasText: `experiment:${id}` })).toContainText("perf_lead@e2e.test");
  await officer.close();
});

test("a test run elsewhere is uploaded as a per-user file and analysed like a native one", async ({ page }, testInfo) => {
  // 3,000 users of an e-mail platform's subject-line test: B converts 12% against A's 8%.
  const rows = ["user,subject,opened,revenue,revenue_before"];
  for (let i = 0; i < 3_000; i++) {
    const arm = i % 2 === 0 ? "A" : "B";
    const k = Math.floor(i / 2);
    const opened = arm === "A" ? (k % 25 < 2 ? 1 : 0) : k % 25 < 3 ? 1 : 0;
    rows.push(`u${i},${arm},${opened},${(k % 40) + opened * 15},${k % 40}`);
  }
  await signIn(page, "perf_lead");
  await page.goto("/experiments");
  await hydrated(page);
  const form = page.getByRole("region", { name: "Analyse a test run elsewhere" });
  await form.getByLabel("File (CSV with a header row)").setInputFiles({ name: "esp-export.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\n")) });
  await form.getByLabel("Name").fill(`ESP subject test ${testInfo.project.name}`);
  await form.getByLabel("Arm column").fill("subject");
  await form.getByLabel("Control arm's label").fill("A");
  await form.getByLabel("Outcomes, comma-separated, the primary first").fill("opened:binary, revenue:numeric:revenue_before");
  await form.getByRole("button", { name: "Import and analyse" }).click();
  await expect(page).toHaveURL(/\/experiments\/[0-9a-f-]{36}$/);
  await expect(page.locator(".pill--imported")).toBeVisible();
  await expect(await verdict(page)).toContainText("B wins on opened");
  await expect(page.getByRole("table", { name: "opened by arm" })).toContainText("1,500");
  await expect(page.getByRole("region", { name: "Guardrail: revenue" })).toContainText("CUPED removed");

  // A file that does not match its declaration comes back with the reason.
  await page.goto("/experiments");
  await form.getByLabel("File (CSV with a header row)").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("arm,opened\nA,1\nB,2\n") });
  await form.getByLabel("Control arm's label").fill("A");
  await form.getByLabel("Outcomes, comma-separated, the primary first").fill("opened:binary");
  await form.getByRole("button", { name: "Import and analyse" }).click();
  await expect(page.getByRole("alert")).toContainText("line 3: column 'opened' is declared binary");
});
