import { expect, test, type Page } from '@playwright/test';

import { signIn } from './session';

// Runs after dashboard.spec.ts (one worker, files in order): collecting here
// changes the data the other tests read.

type Run = {
  id: number;
  status: string;
  mode: string;
  accounts_total: number;
  accounts_done: number;
};
type RunPage = { items: Run[]; total: number; page: number; per_page: number };

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('collect now starts a run whose progress and outcome show', async ({ page, request }) => {
  const before: RunPage = await (await request.get('/api/runs?per_page=1')).json();
  await signIn(page);
  await page.goto('/runs');
  await hydrated(page);
  await expect(page.getByTestId('run-row')).toHaveCount(20);

  // The first look after the click sees the run half done, as a long run
  // would be; later looks see the real, finished run.
  let faked = false;
  await page.route('**/api/runs?*', async (route) => {
    if (faked) return route.continue();
    faked = true;
    const real: RunPage = await (await route.fetch()).json();
    const running = {
      ...real.items[0],
      id: before.items[0].id + 1,
      status: 'running',
      accounts_total: 60,
      accounts_done: 30,
      finished_at: null,
      duration_ms: null,
    };
    await route.fulfill({ json: { ...real, items: [running, ...real.items.slice(1)] } });
  });

  await page.getByTestId('collect-now').click();
  // The run shows as soon as it exists, and the message follows it.
  await expect(page.getByTestId('run-progress')).toContainText('30 / 60 accounts');
  await expect(page.getByTestId('collect-answer')).toHaveText(`Run #${before.items[0].id + 1} is under way.`);
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
  await expect(page.getByTestId('collect-answer')).toHaveText('');
  const first = page.getByTestId('run-row').first();
  await expect(first).toContainText(`#${before.items[0].id + 1}`);
  await expect(first).toContainText('finished');
  await expect(first).toContainText('simulated');
  // Drawn anew by the live table, its moment reads live at once (relative:
  // a demo run is dated at the start of its simulated day), not in UTC.
  await expect(first.locator('time')).toHaveText(/^(just now|\d+ (min|h) ago)$/);

  await first.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/runs/${before.items[0].id + 1}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Run #${before.items[0].id + 1}`);
  await expect(page.getByTestId('run-platforms').locator('tbody tr')).not.toHaveCount(0);
  await expect(page.getByTestId('run-results')).toContainText('60 accounts');
});

test('an unknown run is a 404 page with an error', async ({ page }) => {
  const response = await page.goto('/runs/999999');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('no run with id 999999');
});

test('after a run, the performance page shows latency, cache, database and collector figures', async ({
  page,
}) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: 'Performance', exact: true }).click();
  await expect(page).toHaveURL(/\/performance$/);
  // Pages and API reads alike (the page itself was rendered on the server).
  await expect(page.getByTestId('endpoints')).toContainText('GET /performance');
  await expect(page.getByTestId('endpoints')).toContainText('GET /api/runs');
  await expect(page.getByTestId('queries')).toContainText('SELECT accounts');
  await expect(page.getByTestId('cache')).toContainText('overview');
  await expect(page.getByTestId('collectors').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('hit-rate')).toHaveText(/%|—/);
  // Live: it asks again by itself.
  const next = page.waitForRequest((r) => r.url().includes('/api/performance'));
  await next;
});

test('the platforms panel says which platforms are live and what the others need', async ({ page }) => {
  await page.goto('/runs');
  await expect(page.getByTestId('platform-row')).toHaveCount(16);
  const health = (platform: string) =>
    page.locator(`[data-platform="${platform}"] [data-testid="platform-health"]`);
  // The e2e server has no credentials and its accounts are demo accounts.
  await expect(health('github')).toHaveText('live');
  await expect(health('youtube')).toHaveText('not configured');
  await expect(page.locator('[data-platform="youtube"]')).toContainText('set YOUTUBE_API_KEY');
  await expect(page.locator('[data-platform="reddit"]')).toContainText('REDDIT_CLIENT_ID');
  await expect(health('x')).toHaveText('not configured');
  await expect(page.locator('[data-platform="x"]')).toContainText('X_BEARER_TOKEN');
  await expect(health('hackernews')).toHaveText('live');
  await expect(page.locator('[data-platform="github"]')).toContainText('/ 1 h');
});
