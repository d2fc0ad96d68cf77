import { expect, type Page } from "@playwright/test";

// `cargo xtask test` seeds 21 simulated days ending at today's 00:00 UTC (seed 42). A window
// that ends there is fixed: the numbers cannot move while a test reads them.
export const SIMULATED_DAYS = 21;

/** Today's 00:00 UTC moved by `offset` days, as a date. */
export function day(offset: number): string {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}

/** The simulated world's window, as query parameters. */
export const world = `from=${day(-SIMULATED_DAYS)}&to=${day(0)}`;

/** A JSON API answer for the signed-in page's session. */
export async function api(page: Page, path: string) {
  const res = await page.request.get(path);
  expect(res.status(), path).toBe(200);
  return res.json();
}
