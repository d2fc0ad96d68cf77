import { expect, request, type APIRequestContext } from "@playwright/test";
import { password } from "./auth";

/** A producer's API context (events and catalogue scopes), as `cargo xtask test` creates. */
export async function producer(baseURL: string): Promise<APIRequestContext> {
  return request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${process.env.E2E_API_KEY}` } });
}

export type Creative = { name: string; headline: string; body: string; call_to_action: string };

const ONE_CREATIVE: Creative[] = [{ name: "A", headline: "Save 20%", body: "This weekend only", call_to_action: "Shop now" }];

/** A campaign made active the way the product requires: a producer's key creates and submits
 * it, compliance approves it, the key launches it. Returns the campaign as the API has it.
 * `startsAt` (ISO) backdates its start: it counts as live since then. */
export async function activeCampaign(baseURL: string, name: string, creatives: Creative[] = ONE_CREATIVE, startsAt: string | null = null): Promise<any> {
  const key = await producer(baseURL);
  const created = await key.post("/api/v1/campaigns", {
    data: {
      name,
      campaign_type: "DISCOUNT",
      channels: ["push", "email"],
      target_segments: ["HIGH_SPENDER"],
      target_regions: ["US-CA"],
      budget_cents: 2_000_000,
      starts_at: startsAt,
      ends_at: null,
      holdout_percent: null,
      creatives,
      consent_method: "double_opt_in",
      has_opt_out_link: true,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const id: string = (await created.json()).id;
  const move = async (ctx: APIRequestContext, status: string, headers: Record<string, string> = {}) => {
    const res = await ctx.patch(`/api/v1/campaigns/${id}`, { data: { status }, headers });
    expect(res.status(), `${status}: ${await res.text()}`).toBe(200);
  };
  await move(key, "pending_approval");
  const compliance = await request.newContext({ baseURL });
  const login = await compliance.post("/api/v1/auth/login", { data: { email: "compliance@e2e.test", password }, headers: { Origin: baseURL } });
  expect(login.status()).toBe(200);
  await move(compliance, "scheduled", { Origin: baseURL });
  await move(key, "active");
  return (await key.get(`/api/v1/campaigns/${id}`)).json();
}

/** An event envelope as producers send it. */
export function envelope(type: string, user: string, at: Date, properties: object) {
  return {
    event_id: crypto.randomUUID(),
    event_type: type,
    timestamp: at.toISOString(),
    user_id: user,
    source: "backend",
    properties,
    context: { platform: "iOS", user_segment: "HIGH_SPENDER", region: "US-CA" },
  };
}

/** Two hours of a campaign's life, sent as a sender would: each of `users` users is placed by the
 * assignment endpoint (holdout or a creative), treatment users view it; users of the first
 * creative all click, of the second every other one; every clicker opens the app and adds to
 * cart; the first creative's clickers all buy ($30), the second's every other one ($10). Then
 * `spendDollars` of push spend today. Returns the creative ids by name. */
export async function campaignActivity(baseURL: string, campaign: any, users: number, spendDollars: number): Promise<Record<string, string>> {
  const key = await producer(baseURL);
  const [first] = campaign.creatives;
  const start = Date.now() - 2 * 3_600_000;
  const at = (i: number, minutes: number) => new Date(start + i * 60_000 + minutes * 60_000);
  const events: object[] = [];
  for (let i = 0; i < users; i++) {
    const user = `e2e-${campaign.id.slice(0, 8)}-${i}`;
    // The sender says where the user is: consent is judged by the region's law first.
    const res = await key.get(`/api/v1/campaigns/${campaign.id}/assignment?user_id=${user}&channel=push&region=US-CA`);
    expect(res.status()).toBe(200);
    const assignment = await res.json();
    expect(assignment.eligible, assignment.eligibility).toBe(true);
    const held = assignment.group === "holdout";
    const creative = assignment.creative_id ?? first.id;
    events.push(
      envelope("campaign_delivered", user, at(i, 0), {
        campaign_id: campaign.id,
        campaign_type: "DISCOUNT",
        creative_id: creative,
        segment_id: "HIGH_SPENDER",
        delivery_channel: "push",
        is_holdout: held,
      }),
    );
    if (held) continue;
    events.push(envelope("campaign_viewed", user, at(i, 1), { campaign_id: campaign.id, creative_id: creative }));
    const isFirst = creative === first.id;
    if (!isFirst && i % 2 === 1) continue;
    events.push(envelope("campaign_clicked", user, at(i, 2), { campaign_id: campaign.id, creative_id: creative }));
    events.push(envelope("user_engaged", user, at(i, 3), { engagement_type: "app_open" }));
    events.push(envelope("user_engaged", user, at(i, 4), { engagement_type: "add_to_cart" }));
    if (!isFirst && i % 4 === 2) continue;
    events.push(envelope("user_purchased", user, at(i, 6), { order_id: crypto.randomUUID(), order_value: isFirst ? 30 : 10 }));
  }
  const sent = await key.post("/api/v1/events", { data: events });
  expect(sent.status(), await sent.text()).toBe(200);
  expect((await sent.json()).accepted).toBe(events.length);
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const spend = await key.post("/api/v1/spend", {
    data: { entries: [{ campaign_id: campaign.id, channel: "push", period_start: today.toISOString(), granularity: "day", amount_cents: spendDollars * 100 }] },
  });
  expect(spend.status(), await spend.text()).toBe(200);
  return Object.fromEntries(campaign.creatives.map((c: any) => [c.name, c.id]));
}
