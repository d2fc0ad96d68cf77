import { defineConfig, devices } from "@playwright/test";

// The server is started by `cargo xtask test`, which passes its address in BASE_URL.
// Debian's Chromium is used as installed; Playwright never downloads a browser here.
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  // Retries only collect a trace: a test that needed one still fails the run.
  retries: process.env.CI ? 1 : 0,
  failOnFlakyTests: !!process.env.CI,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    trace: "on-first-retry",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: chromiumArgs,
    },
  },
  projects: [
    { name: "desktop", testIgnore: /clock\.spec\.ts/, use: { ...devices["Desktop Chrome"], viewport: { width: 1440, height: 900 } } },
    { name: "phone", testIgnore: /clock\.spec\.ts/, use: { ...devices["Desktop Chrome"], viewport: { width: 375, height: 812 }, isMobile: false } },
    // Journeys that move the clock, against a second server of their own (`serve --clock-control`,
    // started by `cargo xtask test` at CLOCK_BASE_URL), so no other journey's time moves.
    {
      name: "clock",
      testMatch: /clock\.spec\.ts/,
      // A retry would find the first attempt's test and moved clock on the same server, so it
      // could only mislead; a failure keeps its trace instead.
      retries: 0,
      use: { ...devices["Desktop Chrome"], viewport: { width: 1440, height: 900 }, baseURL: process.env.CLOCK_BASE_URL ?? "http://127.0.0.1:3001", trace: "retain-on-failure" },
    },
  ],
});
