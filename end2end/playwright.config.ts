import { defineConfig } from '@playwright/test';

// The server under test: the debug build by default, a fresh SQLite file with
// the demo data set, no scheduled collection (so the data holds still).
const port = Number(process.env.REACH_E2E_PORT ?? 3100);
const bin = process.env.REACH_BIN ?? 'target/debug/reach';
// The admin the tests sign in as (tests/session.ts).
export const adminPassword = 'e2e password, long enough';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright cannot download its own browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    // An admin first (tests sign in as them), then the demo data.
    command:
      `rm -rf target/e2e && ${bin} --database-url sqlite://target/e2e/reach.db admin add e2e` +
      ` && ${bin} --database-url sqlite://target/e2e/reach.db serve --demo --no-collect`,
    cwd: '..',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: 'warn',
      REACH_ADMIN_PASSWORD: adminPassword,
      // The live count's shortest interval (watch.spec.ts).
      REACH_WATCH_EVERY: '10s',
    },
    url: `http://127.0.0.1:${port}/api/overview`,
    timeout: 120_000,
    reuseExistingServer: false,
  },
});
