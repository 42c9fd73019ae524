import { expect, test, type Page, type Request } from '@playwright/test';

// What a person sees and does on the dashboard's pages: filters, charts,
// the theme, the keyboard, comparisons.
// Runs before runs.spec.ts (one worker, files in order), on the demo data.

type Counters = { followers: number | null; views: number | null };
type Row = {
  id: number;
  handle: string;
  platform: string;
  is_core: boolean;
  latest: Counters;
  change_7d: number | null;
  sparkline?: number[];
};
type AccountPage = { items: Row[]; total: number };

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Records the API requests a page makes, by path. */
function apiRequests(page: Page) {
  const seen: string[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    // The live updates' stream carries no data (live.spec.ts).
    if (url.pathname.startsWith('/api/') && url.pathname !== '/api/live') {
      seen.push(url.pathname + url.search);
    }
  });
  return seen;
}

function rowsOf(page: Page) {
  return page.locator('[data-testid=accounts-table] tbody tr[data-account-id]');
}

test('the overview shows follower changes, top growers and what needs attention', async ({
  page,
}) => {
  await page.goto('/');
  for (const days of [1, 7, 30]) {
    const card = page.getByTestId(`change-${days}d`);
    await expect(card).toContainText(/[+-]?[\d.,]+[KMB]?/);
    await expect(card).toContainText('accounts with that much history');
  }
  await expect(page.getByTestId('top-growers').locator('tbody tr')).toHaveCount(5);
  await expect(page.getByTestId('needs-attention')).toContainText(
    'Every account was collected in the last 48 hours',
  );
});

test('rows show 7- and 30-day changes and a sparkline, and sort by change', async ({
  page,
  request,
}) => {
  await page.goto('/accounts');
  await hydrated(page);
  await expect(rowsOf(page)).toHaveCount(25);
  await expect(page.locator('svg.sparkline')).toHaveCount(25);
  const byChange: AccountPage = await (
    await request.get('/api/accounts?sort=change_7d&dir=desc&per_page=5')
  ).json();
  expect(byChange.items[0].sparkline?.length).toBeGreaterThan(25);

  await page.locator('th a[data-sort=change_7d]').click();
  await expect(page).toHaveURL(/sort=change_7d&dir=desc/);
  await expect(rowsOf(page).first().locator('a.handle')).toHaveText(byChange.items[0].handle);
  await expect(rowsOf(page).first().locator('td.change').first()).toHaveClass(/up/);
});

test('the core and tag filters narrow the table', async ({ page, request }) => {
  const tags: { tag: string; accounts: number }[] = await (await request.get('/api/tags')).json();
  expect(tags.length).toBeGreaterThan(1);
  await page.goto('/accounts');
  await hydrated(page);

  const core: AccountPage = await (await request.get('/api/accounts?core=true')).json();
  expect(core.total).toBeGreaterThan(0);
  expect(core.total).toBeLessThan(25);
  await page.locator('select[name=core]').selectOption('true');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/core=true/);
  await expect(page.getByTestId('pager-status')).toContainText(`of ${core.total}`);
  await expect(rowsOf(page).locator('.core')).toHaveCount(core.total);

  await page.locator('select[name=core]').selectOption('');
  await page.locator('select[name=tag]').selectOption(tags[0].tag);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`tag=${tags[0].tag}`));
  await expect(page.getByTestId('pager-status')).toContainText(`of ${tags[0].accounts}`);
});

test('the search applies on Enter, with one request for the page', async ({ page }) => {
  await page.goto('/accounts');
  await hydrated(page);
  const seen: string[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname === '/accounts') seen.push(url.search);
  });
  await page.getByPlaceholder('handle or name').pressSequentially('fox', { delay: 60 });
  // Typing alone sends nothing.
  expect(seen).toHaveLength(0);
  await page.getByPlaceholder('handle or name').press('Enter');
  await expect(page).toHaveURL(/q=fox/);
  await expect(rowsOf(page).first()).toBeVisible();
  expect(seen).toEqual([expect.stringContaining('q=fox')]);
});

test('a page sends no API request of its own: the server rendered its data', async ({ page }) => {
  const seen = apiRequests(page);
  for (const path of ['/', '/accounts', '/leaderboard', '/brands']) {
    await page.goto(path);
    await hydrated(page);
  }
  expect(seen).toEqual([]);
});

test('unknown counters show as a dash with a tooltip, never as zero', async ({
  page,
  request,
}) => {
  const all: AccountPage = await (await request.get('/api/accounts?per_page=100')).json();
  const index = all.items.findIndex((row) => row.latest.views === null);
  expect(index, 'an account without a views counter').toBeGreaterThanOrEqual(0);
  const row = all.items[index];
  await page.goto(`/accounts?page=${Math.floor(index / 25) + 1}`);
  const views = page.locator(`tr[data-account-id="${row.id}"] td.num`).nth(5);
  await expect(views).toHaveText('—');
  await expect(views).toHaveAttribute('title', 'unknown');
});

test('the chart and ECharts load only when the chart comes into view', async ({
  page,
  request,
}) => {
  const top: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  await page.setViewportSize({ width: 390, height: 300 });
  const echarts: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/vendor/echarts')) echarts.push(r.url());
  });
  await page.goto(`/accounts/${top.items[0].id}`);
  await hydrated(page);
  const chart = page.locator('[data-chart=history]');
  const box = await chart.boundingBox();
  expect(box!.y, 'the chart starts below the fold and its look-ahead').toBeGreaterThan(300 + 200);
  // Give a wrongly eager chart time to ask.
  await page.waitForTimeout(500);
  expect(echarts).toHaveLength(0);
  await expect(chart).toHaveAttribute('data-drawn', 'false');

  await chart.scrollIntoViewIfNeeded();
  await expect(chart).toHaveAttribute('data-drawn', 'true');
  expect(echarts).toHaveLength(1);
  await expect(chart.locator('canvas').first()).toBeVisible();

  // The chart follows the window's width and the theme.
  const narrow = (await chart.locator('canvas').first().boundingBox())!.width;
  await page.setViewportSize({ width: 900, height: 600 });
  await expect
    .poll(async () => (await chart.locator('canvas').first().boundingBox())!.width)
    .toBeGreaterThan(narrow + 200);
  await expect(chart).toHaveAttribute('data-chart-theme', 'light');
  await page.getByRole('button', { name: /Theme:/ }).click(); // light
  await page.getByRole('button', { name: /Theme:/ }).click(); // dark
  await expect(chart).toHaveAttribute('data-chart-theme', 'dark');
  await expect(chart.locator('canvas').first()).toBeVisible();

  // Pages without a chart never load it.
  echarts.length = 0;
  await page.goto('/accounts');
  await hydrated(page);
  await page.waitForTimeout(300);
  expect(echarts).toHaveLength(0);
});

test('the account page lists values and changes day by day', async ({ page, request }) => {
  const top: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  await page.goto(`/accounts/${top.items[0].id}?range=30d`);
  const rows = page.getByTestId('daily-table').locator('tbody tr');
  await expect(rows).toHaveCount(30);
  await expect(rows.first().locator('td').first()).toHaveText(/^\d{4}-\d{2}-\d{2}$/);
  await expect(rows.first().locator('td.change')).toHaveText(/^[+-]?[\d.,]+[KMB]?$/);
});

test('the theme follows the system, then the toggle, and survives a reload', async ({
  page,
}) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/');
  await hydrated(page);
  const html = page.locator('html');
  await expect(html).not.toHaveAttribute('data-theme', /.*/);
  const background = () =>
    page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const darkBySystem = await background();

  const toggle = page.getByRole('button', { name: /Theme:/ });
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  expect(await background()).not.toEqual(darkBySystem);
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  expect(await background()).toEqual(darkBySystem);

  // The server renders the choice: no flash of the other theme.
  const response = await page.reload();
  expect(await response!.text()).toContain('data-theme="dark"');
  await expect(toggle).toHaveText('Theme: dark');
});

test('going offline is said, and coming back clears it', async ({ page, context }) => {
  await page.goto('/accounts');
  await hydrated(page);
  await expect(page.getByTestId('offline')).toHaveCount(0);
  await context.setOffline(true);
  await expect(page.getByTestId('offline')).toContainText('You are offline');
  await context.setOffline(false);
  await expect(page.getByTestId('offline')).toHaveCount(0);
});

test('the keyboard reaches every control of the accounts page', async ({ page }) => {
  await page.goto('/accounts');
  await hydrated(page);
  const reached = new Set<string>();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      return (
        el.getAttribute('data-sort') ??
        el.getAttribute('name') ??
        (el.textContent ?? '').trim().slice(0, 20)
      );
    });
    reached.add(name);
  }
  for (const control of ['q', 'platform', 'core', 'tag', 'handle', 'change_7d', 'last_collected']) {
    expect(reached, `Tab reaches ${control}`).toContain(control);
  }
  expect([...reached].some((name) => name.startsWith('Theme:'))).toBe(true);
  expect([...reached].some((name) => name.startsWith('Next'))).toBe(true);
});

test('a comparison is built in the page and shared as a link', async ({ page, request }) => {
  const top: AccountPage = await (await request.get('/api/accounts?per_page=2')).json();
  const [a, b] = top.items;
  await page.goto(`/accounts/${a.id}`);
  await hydrated(page);
  await page.getByRole('link', { name: 'compare with others' }).click();
  await expect(page).toHaveURL(new RegExp(`/compare\\?ids=${a.id}$`));
  // The picker searches every account on Enter; adding one clears the search.
  const search = page.getByRole('searchbox', { name: 'Add' });
  await search.fill(b.handle.slice(0, 4));
  await search.press('Enter');
  const results = page.getByTestId('picker-results');
  await results.locator(`a[data-account-id="${b.id}"]`).click();
  await expect(page).toHaveURL(new RegExp(`ids=${a.id},${b.id}&`));
  await expect(search).toHaveValue('');
  await expect(results).toHaveCount(0);
  // An account already compared is not offered again.
  await search.fill(a.handle);
  await search.press('Enter');
  await expect(page.getByTestId('picker-none').or(results)).toBeVisible();
  await expect(results.locator(`a[data-account-id="${a.id}"]`)).toHaveCount(0);
  const rows = page.getByTestId('compare-table').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  const chart = page.locator('[data-chart=compare]');
  await chart.scrollIntoViewIfNeeded();
  await expect(chart).toHaveAttribute('data-drawn', 'true');

  await page.locator('a[data-mode=indexed]').click();
  await expect(page).toHaveURL(/mode=indexed/);
  await expect(rows.first().locator('td').nth(1)).toHaveText('100.0');

  // The link alone rebuilds the same comparison.
  const shared = page.url();
  const other = await page.context().newPage();
  await other.goto(shared);
  await expect(other.getByTestId('compare-table').locator('tbody tr')).toHaveCount(2);
  await expect(other.getByTestId('compare-table').locator('tbody tr').first().locator('td').nth(1)).toHaveText('100.0');
  // Removing an account is a link too.
  await other.getByRole('link', { name: new RegExp(`${b.handle} ✕`) }).click();
  await expect(other).toHaveURL(new RegExp(`ids=${a.id}&`));
});

test('the account page shows growth over each window and a chosen period', async ({
  page,
  request,
}) => {
  const top: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  await page.goto(`/accounts/${top.items[0].id}`);
  await hydrated(page);
  const table = page.getByTestId('growth-table');
  await expect(table.locator('thead th')).toHaveText([
    'Metric',
    '24 hours',
    '7 days',
    '30 days',
    '90 days',
    '365 days',
  ]);
  // The first row is the audience, named as the account's platform names it
  // (a YouTube channel's subscribers).
  const platforms: { platform: string; counters: { metric: string; name: string }[] }[] = await (
    await request.get('/api/platforms')
  ).json();
  const audience = platforms
    .find((p) => p.platform === top.items[0].platform)!
    .counters.find((c) => c.metric === 'followers')!.name;
  const followers = table.locator('tbody tr').first();
  await expect(followers.locator('th')).toHaveText(audience[0].toUpperCase() + audience.slice(1));
  await expect(followers.locator('td').nth(1)).toHaveText(/^[+-]?[\d.,]+[KMB]?.*%$/);

  await page.locator('input[name=from]').fill('2026-09-01');
  await page.locator('input[name=to]').fill('2026-09-30');
  await page.getByRole('button', { name: 'Compare with the period before' }).click();
  await expect(page).toHaveURL(/from=2026-09-01&to=2026-09-30/);
  await expect(table.locator('thead th')).toContainText(['2026-09-01 – 2026-09-30', 'the period before']);
});
