import { expect, type Page } from "@playwright/test";

export type Role = "cmo" | "perf_lead" | "lifecycle_lead" | "rewards_pm" | "data_science" | "compliance" | "admin";

// `cargo xtask test` creates `<role>@e2e.test` for every role with this run's password.
export const password = process.env.E2E_PASSWORD ?? "";

export const landing: Record<Role, string> = {
  cmo: "/",
  perf_lead: "/campaigns",
  lifecycle_lead: "/funnel",
  rewards_pm: "/segments",
  data_science: "/system-health",
  compliance: "/compliance",
  admin: "/admin",
};

/** Signs in through the sign-in page and waits for the role's landing view. */
export async function signIn(page: Page, role: Role) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(`${role}@e2e.test`);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`${landing[role].replace(/\//g, "\\/")}$`));
}

/** The page is interactive only once the wasm bundle has hydrated it. */
export async function hydrated(page: Page) {
  await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
}
