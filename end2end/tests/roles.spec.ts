import { expect, test } from "@playwright/test";
import { hydrated, landing, signIn, type Role } from "./auth";

// For each role: where it lands, a section it must not see in the navigation, and the server
// refusing that same section when asked directly (hiding a control is never the control), plus
// an administrator's action sent straight to the API.
const forbidden: Record<Exclude<Role, "admin">, { link: string; path: string; api: string }> = {
  cmo: { link: "Compliance", path: "/compliance", api: "/api/fn/load_admin" },
  perf_lead: { link: "Health", path: "/system-health", api: "/api/fn/load_database_latency" },
  lifecycle_lead: { link: "Compliance", path: "/compliance", api: "/api/fn/create_account" },
  rewards_pm: { link: "Health", path: "/system-health", api: "/api/fn/revoke_session" },
  data_science: { link: "Compliance", path: "/compliance", api: "/api/fn/set_account_role" },
  compliance: { link: "Funnel", path: "/funnel", api: "/api/fn/load_database_latency" },
};

for (const role of Object.keys(forbidden) as (keyof typeof forbidden)[]) {
  test(`${role} lands on its own view, without controls it may not use, and the API refuses them`, async ({ page, baseURL }) => {
    await signIn(page, role);
    await hydrated(page);
    expect(new URL(page.url()).pathname).toBe(landing[role]);
    await expect(page.getByRole("banner")).toContainText(`${role}@e2e.test`);
    const nav = page.getByRole("navigation", { name: "Sections" });
    await expect(nav.getByRole("link").first()).toBeVisible();
    await expect(nav.getByRole("link", { name: forbidden[role].link, exact: true })).toHaveCount(0);
    await expect(nav.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);

    // The hidden section, asked for directly with this role's session.
    const section = await page.request.get(forbidden[role].path, { headers: { accept: "application/json" } });
    expect(section.status()).toBe(403);
    expect((await section.json()).error.code).toBe("forbidden");

    const action = await page.request.post(forbidden[role].api, {
      headers: { origin: baseURL!, "content-type": "application/x-www-form-urlencoded" },
      data: "",
    });
    expect(action.status()).toBe(403);
    expect((await action.json()).error.code).toBe("forbidden");
  });
}

test("admin lands on administration, creates an account and sees its password once", async ({ page }) => {
  await signIn(page, "admin");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Administration" })).toBeVisible();
  const email = `new-${Date.now()}@e2e.test`;
  const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Create account" }) });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption("rewards_pm");
  await form.getByRole("button", { name: "Create account" }).click();
  const secret = page.getByTestId("one-time-secret");
  await expect(secret).toHaveText(/^[A-Za-z0-9]{20}$/);
  await expect(page.getByRole("cell", { name: email })).toBeVisible();

  // The new account signs in with the password shown once.
  const generated = (await secret.textContent()) ?? "";
  const other = await page.context().browser()!.newContext();
  const newPage = await other.newPage();
  await newPage.goto(new URL("/login", page.url()).toString());
  await newPage.getByLabel("Email").fill(email);
  await newPage.getByLabel("Password").fill(generated);
  await newPage.getByRole("button", { name: "Sign in" }).click();
  await expect(newPage).toHaveURL(/\/segments$/);
  await other.close();
});

test("a person creates a personal token, sees it once, and revokes it", async ({ page, baseURL }) => {
  await signIn(page, "data_science");
  await page.goto("/account");
  await hydrated(page);
  // A name of this run's own: the desktop and phone projects share one server.
  const name = `e2e notebook ${Date.now()}`;
  await page.getByLabel("Token name").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = (await page.getByTestId("one-time-secret").textContent()) ?? "";
  expect(secret).toMatch(/^sspt_[0-9a-f]{64}$/);

  const api = await page.context().request.get(`${baseURL}/api/v1/auth/me`, {
    headers: { authorization: `Bearer ${secret}`, cookie: "" },
  });
  expect(api.status()).toBe(200);

  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByText("Revoked")).toBeVisible();
  const after = await page.context().request.get(`${baseURL}/api/v1/auth/me`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  expect(after.status()).toBe(401);
});

test("signing out returns to the sign-in page and the dashboard is closed again", async ({ page }) => {
  await signIn(page, "rewards_pm");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await page.goto("/segments");
  await expect(page).toHaveURL(/\/login\?next=%2Fsegments$/);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("cmo@e2e.test");
  await page.getByLabel("Password").fill("definitely not it");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is wrong.");
});
