import { expect, test, type Page } from '@playwright/test';

type Row = { id: number; handle: string; platform: string };
type AccountPage = { items: Row[]; total: number };

/** Resolves once the WASM has hydrated the page (clicks before that are lost). */
async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

function handlesIn(page: Page) {
  return page.locator('[data-testid=accounts-table] tbody tr a.handle').allTextContents();
}

test('the server-rendered HTML already holds the data', async ({ request }) => {
  const api: AccountPage = await (await request.get('/api/accounts?per_page=5')).json();
  expect(api.total).toBe(60);
  const html = await (await request.get('/accounts')).text();
  for (const row of api.items) {
    expect(html).toContain(row.handle);
  }
  const overview = await (await request.get('/')).text();
  expect(overview).toContain('data-testid="total-accounts"');
  expect(overview).toContain(api.items[0].handle);
});

test('the overview shows totals and the latest run', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('total-accounts')).toContainText('60');
  await expect(page.getByTestId('latest-run')).toContainText('finished');
  // The suite's server runs with --no-collect: no schedule to announce.
  await expect(page.getByTestId('next-collection')).toHaveText(/only when asked for/);
});

test('sorting changes the rows, and back restores them', async ({ page, request }) => {
  await page.goto('/accounts');
  await hydrated(page);
  const before = await handlesIn(page);
  expect(before).toHaveLength(25);

  const ascending: AccountPage = await (
    await request.get('/api/accounts?sort=followers&dir=asc')
  ).json();
  await page.locator('th a[data-sort=followers]').click();
  await expect(page).toHaveURL(/sort=followers&dir=asc/);
  await expect(page.locator('th[aria-sort=ascending]')).toContainText('Followers');
  await expect.poll(() => handlesIn(page)).toEqual(ascending.items.map((r) => r.handle));

  await page.locator('th a[data-sort=handle]').click();
  await expect(page).toHaveURL(/sort=handle&dir=asc/);
  const byHandle = await handlesIn(page);
  expect(byHandle).toEqual([...byHandle].sort());

  await page.goBack();
  await expect.poll(() => handlesIn(page)).toEqual(ascending.items.map((r) => r.handle));
  await page.goBack();
  await expect.poll(() => handlesIn(page)).toEqual(before);
});

test('paging moves through the table', async ({ page }) => {
  await page.goto('/accounts');
  await hydrated(page);
  const first = await handlesIn(page);
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId('pager-status')).toHaveText('26–50 of 60 · page 2 of 3');
  const second = await handlesIn(page);
  expect(second).toHaveLength(25);
  expect(second.filter((h) => first.includes(h))).toEqual([]);
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page.getByTestId('pager-status')).toHaveText('51–60 of 60 · page 3 of 3');
  await expect(page.getByRole('link', { name: 'Next →' })).toHaveCount(0);
});

test('the search and the platform filter narrow the rows', async ({ page, request }) => {
  await page.goto('/accounts');
  await hydrated(page);
  const expected: AccountPage = await (await request.get('/api/accounts?q=fox')).json();
  expect(expected.total).toBeGreaterThan(0);
  expect(expected.total).toBeLessThan(25);

  await page.getByPlaceholder('handle or name').fill('fox');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=fox/);
  await expect.poll(() => handlesIn(page)).toEqual(expected.items.map((r) => r.handle));
  await expect(page.getByTestId('pager-status')).toContainText(`of ${expected.total}`);

  await page.getByLabel('Platform').selectOption('github');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/platform=github/);
  const rows = page.locator('[data-testid=accounts-table] tbody tr');
  await expect(rows.first()).toBeVisible();
  const badges = await rows.locator('.badge').allTextContents();
  expect(badges.every((b) => b === 'GitHub')).toBe(true);
});

test('the account page draws the history chart on a canvas', async ({ page, request }) => {
  const top: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  const id = top.items[0].id;
  await page.goto(`/accounts/${id}`);
  await hydrated(page);
  await expect(page.getByTestId('account-handle')).toHaveText(top.items[0].handle);
  await expect(page.getByTestId('simulated-note')).toContainText('Simulated counters');
  await expect(page.locator('[data-chart=history] canvas').first()).toBeVisible();
  const box = await page.locator('[data-chart=history] canvas').first().boundingBox();
  expect(box?.height).toBeGreaterThan(100);

  await page.locator('a[data-range=all]').click();
  await expect(page).toHaveURL(/range=all/);
  await expect(page.getByTestId('history-count')).toHaveText('365 snapshots');
  await page.locator('a[data-range="30d"]').click();
  await expect(page.getByTestId('history-count')).toHaveText(/^(30|31) snapshots$/);
  await expect(page.locator('[data-chart=history] canvas').first()).toBeVisible();
});

test('a bad account address says so, with a way back and no pointless retry', async ({ page }) => {
  const response = await page.goto('/accounts/999999');
  expect(response?.status()).toBe(404);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('no account with id 999999');
  await expect(alert.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await expect(alert.getByRole('link', { name: 'Back to the overview' })).toBeVisible();
});

test('a page past the end says so and links to the last page', async ({ page }) => {
  await page.goto('/accounts?page=99');
  const status = page.getByTestId('pager-status');
  await expect(status).toHaveText('Page 99 is past the end: 60 accounts fill 3 pages');
  await page.getByRole('link', { name: '← Last page' }).click();
  await expect(page).toHaveURL(/page=3/);
  await expect(status).toHaveText('51–60 of 60 · page 3 of 3');
});

test('built assets have hashed names, are compressed and cached for good', async ({ request }) => {
  const html = await (await request.get('/')).text();
  const script = html.match(/\/pkg\/reach\.[\w-]+\.js/)?.[0];
  const wasm = html.match(/\/pkg\/reach\.[\w-]+\.wasm/)?.[0];
  const css = html.match(/\/pkg\/reach\.[\w-]+\.css/)?.[0];
  expect(script, 'a hashed script name in the page').toBeTruthy();
  expect(wasm, 'a hashed WASM name in the page').toBeTruthy();
  expect(css, 'a hashed stylesheet name in the page').toBeTruthy();
  const echarts = html.match(/\/vendor\/echarts\.[0-9a-f]{16}\.js/)?.[0];
  expect(echarts, 'a hashed ECharts name in the page').toBeTruthy();
  for (const asset of [script!, wasm!, css!, echarts!]) {
    // Compressed at build time: brotli to those who take it, else gzip.
    for (const [accept, encoding] of [['br, gzip', 'br'], ['gzip', 'gzip']]) {
      const response = await request.get(asset, { headers: { 'accept-encoding': accept } });
      expect(response.status(), asset).toBe(200);
      expect(response.headers()['cache-control'], asset).toContain('immutable');
      expect(response.headers()['content-encoding'], `${asset} for ${accept}`).toBe(encoding);
    }
  }
});

test('HEAD answers like GET on pages, API reads and assets, with no body', async ({ request }) => {
  const html = await (await request.get('/')).text();
  const script = html.match(/\/pkg\/reach\.[\w-]+\.js/)?.[0];
  const echarts = html.match(/\/vendor\/echarts\.[0-9a-f]+\.js/)?.[0];
  expect(echarts, 'ECharts named in the page').toBeTruthy();
  for (const path of ['/', '/leaderboard', '/api/overview', script!, '/favicon.svg', echarts!]) {
    const get = await request.get(path);
    const head = await request.head(path);
    expect(head.status(), path).toBe(get.status());
    expect(head.status(), path).toBe(200);
    for (const name of ['content-type', 'cache-control', 'etag']) {
      expect(head.headers()[name], `${path}: ${name}`).toBe(get.headers()[name]);
    }
    expect((await head.body()).length, path).toBe(0);
  }
});

test('the API page, from the menu, describes every endpoint with the dashboard styles', async ({ page, request }, testInfo) => {
  const description = await (await request.get('/api/openapi.json')).json();
  const operations = Object.values(description.paths).flatMap((item: any) =>
    ['get', 'post'].filter((method) => item[method]),
  );
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('link', { name: 'API', exact: true }).click();
  await expect(page).toHaveURL(/\/api\/docs$/);
  await expect(page.locator('h1')).toContainText('Reach API');
  await expect(page.locator('.api-operation')).toHaveCount(operations.length);
  // The hashed stylesheet applies: operations are drawn as cards.
  await expect(page.locator('.api-operation').first()).toHaveCSS('border-top-left-radius', '8px');
  // Folded: a click opens an operation.
  await expect(page.locator('#op-list_accounts table')).toBeHidden();
  await page.locator('#op-list_accounts summary').click();
  await expect(page.locator('#op-list_accounts table')).toBeVisible();
  await expect(page.locator('#op-list_accounts')).toContainText('per_page');
  // Markdown is rendered: no backticks, no links into Reach's source.
  await expect(page.locator('#op-list_accounts')).not.toContainText(/`\w+`/);
  await expect(page.locator('main')).not.toContainText('crate::');
  // The dashboard's sections are a click away.
  await expect(page.locator('header nav.primary').getByRole('link', { name: 'Leaderboard' })).toBeVisible();
  // A response's schema links to its description further down.
  await page.locator('#op-list_accounts a[href^="#schema-"]').first().click();
  await expect(page).toHaveURL(/#schema-/);
  for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `the API page fits ${size.width}px`).toBeLessThanOrEqual(0);
    const file = testInfo.outputPath(`api-docs-${size.width}.png`);
    await page.screenshot({ path: file });
    await testInfo.attach(`api-docs-${size.width}`, { path: file, contentType: 'image/png' });
  }
});

test('each account shows its picture or its initial, from Reach itself', async ({ page }) => {
  await page.goto('/accounts');
  const rows = page.locator('[data-testid=accounts-table] tbody tr');
  await expect(rows).toHaveCount(25);
  // Demo accounts have no pictures: their initial stands in.
  await expect(rows.locator('.avatar')).toHaveCount(25);
  const initials = await rows.locator('.avatar.placeholder').allTextContents();
  for (const initial of initials) {
    expect(initial).toMatch(/^[A-Z0-9]$/);
  }
  // Any picture is Reach's own copy: the page's policy allows no other.
  for (const src of await page.locator('img').evaluateAll((images) =>
    images.map((i) => i.getAttribute('src') ?? ''),
  )) {
    expect(src.startsWith('/') && !src.startsWith('//')).toBe(true);
  }
});

test('the overview opens with the audience over time, stacked by platform', async ({ page, request }) => {
  type Overview = { audience: { from: string | null; series: { platform: string }[] } };
  const overview: Overview = await (await request.get('/api/overview')).json();
  expect(overview.audience.series.length).toBeGreaterThan(1);
  await page.goto('/');
  await hydrated(page);
  const chart = page.locator('#audience-chart');
  await expect(chart).toHaveAttribute('data-drawn', 'true');
  const series = await page.evaluate(() => {
    type Instance = { getOption(): { series: { name: string; stack?: string; areaStyle?: object }[] } };
    const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): Instance } }).echarts;
    return echarts
      .getInstanceByDom(document.getElementById('audience-chart')!)
      .getOption()
      .series.map((s) => `${s.name.toLowerCase().replace(/[^a-z]/g, '')}:${s.stack}:${s.areaStyle ? 'area' : 'line'}`);
  });
  // Named by the platforms' labels ("Hacker News" for hackernews).
  expect(series).toEqual(overview.audience.series.map((s) => `${s.platform}:total:area`));
});
