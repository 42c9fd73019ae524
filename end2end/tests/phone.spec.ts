import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

// What a person notices first on a phone and with a keyboard: the layout at
// 390×844, the scroll position kept by in-page choices, contrast in both
// themes, each page's title, and a way past the navigation.

type Row = { id: number; handle: string; display_name: string | null };
type AccountPage = { items: Row[]; total: number };

const PHONE = { width: 390, height: 844 };

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

async function firstAccount(page: Page): Promise<Row> {
  const accounts: AccountPage = await (await page.request.get('/api/accounts?per_page=1')).json();
  return accounts.items[0];
}

async function pages(page: Page): Promise<string[]> {
  const account = await firstAccount(page);
  const brands = await (await page.request.get('/api/brands')).json();
  const runs = await (await page.request.get('/api/runs?per_page=1')).json();
  return [
    '/',
    '/accounts',
    `/accounts/${account.id}`,
    '/leaderboard',
    '/brands',
    `/brands/${brands[0].id}`,
    `/compare?ids=${account.id}`,
    '/runs',
    `/runs/${runs.items[0].id}`,
    '/performance',
    '/login',
  ];
}

test.describe('on a phone', () => {
  test.use({ viewport: PHONE });

  test('no page is wider than the screen, and the top bar is one line with a menu', async ({ page }) => {
    for (const path of await pages(page)) {
      await page.goto(path);
      await hydrated(page);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, path).toBeLessThanOrEqual(PHONE.width);
      const bar = await page.locator('header.topbar').boundingBox();
      expect(bar!.height, path).toBeLessThan(64);
    }
    await page.goto('/');
    await hydrated(page);
    await expect(page.locator('nav.primary')).toBeHidden();
    await page.locator('.phone-menu summary').click();
    await page.locator('.phone-menu').getByRole('link', { name: 'Leaderboard' }).click();
    await expect(page).toHaveURL(/\/leaderboard$/);
    await expect(page.locator('h1')).toHaveText('Leaderboard');
    // Choosing a section closes the menu.
    await expect(page.locator('.phone-menu nav')).toBeHidden();
  });

  test("the accounts table shows each account's name, followers and 7-day change", async ({ page }) => {
    await page.goto('/accounts');
    await hydrated(page);
    const row = page.locator('[data-testid=accounts-table] tbody tr').first();
    for (const cell of [row.locator('a.handle'), row.locator('td').nth(2), row.locator('td').nth(3)]) {
      const box = await cell.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    }
    // The name stays while the numbers scroll sideways.
    await page.locator('.table-scroll').first().evaluate((el) => (el.scrollLeft = 400));
    const handle = await row.locator('a.handle').boundingBox();
    expect(handle!.x).toBeGreaterThanOrEqual(0);
    expect(handle!.x).toBeLessThan(60);
  });

  test('range, metric and projection choices keep the scroll position', async ({ page }) => {
    // YouTube publishes several metrics to choose between.
    const youtube: AccountPage = await (await page.request.get('/api/accounts?platform=youtube&per_page=1')).json();
    const account = youtube.items[0];
    await page.goto(`/accounts/${account.id}`);
    await hydrated(page);
    const choices = [
      ['a[data-range="30d"]', /range=30d/],
      ['.history a[data-metric]:not(.active)', /metric=/],
      ['a[data-basis]:not(.active)', /basis=/],
    ] as const;
    for (const [selector, url] of choices) {
      const link = page.locator(selector).first();
      // Scrolled down the page, the choice in the lower half of the screen.
      const top = await link.evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
      await page.evaluate((y) => window.scrollTo(0, y), top - 400);
      const before = await page.evaluate(() => window.scrollY);
      expect(before, selector).toBeGreaterThan(100);
      await link.click();
      await expect(page).toHaveURL(url);
      await expect(page.locator(selector.replace(':not(.active)', '.active')).first()).toBeVisible();
      expect(await page.evaluate(() => window.scrollY), selector).toBeCloseTo(before, -1);
    }
    await page.goto(`/compare?ids=${account.id}`);
    await hydrated(page);
    const indexed = page.locator('a[data-mode=indexed]');
    const top = await indexed.evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
    await page.evaluate((y) => window.scrollTo(0, y), top - 150);
    const before = await page.evaluate(() => window.scrollY);
    expect(before).toBeGreaterThan(20);
    await indexed.click();
    await expect(page).toHaveURL(/mode=indexed/);
    expect(await page.evaluate(() => window.scrollY)).toBeCloseTo(before, -1);
  });
});

test('every page has its own title', async ({ page }) => {
  const account = await firstAccount(page);
  const expected: [string, RegExp][] = [
    ['/', /^Overview · Reach$/],
    ['/accounts', /^Accounts · Reach$/],
    [`/accounts/${account.id}`, new RegExp(`${account.handle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)? · Reach$`)],
    ['/leaderboard', /^Leaderboard · Reach$/],
    ['/brands', /^Brands · Reach$/],
    ['/compare', /^Compare · Reach$/],
    ['/runs', /^Collection runs · Reach$/],
    ['/performance', /^Performance · Reach$/],
    ['/login', /^Sign in · Reach$/],
    ['/no/such/page', /^Page not found · Reach$/],
  ];
  for (const [path, title] of expected) {
    // The server's HTML already carries it (for links shared and history).
    const html = await (await page.request.get(path)).text();
    expect(html, path).toMatch(/<title>[^<]+ · Reach<\/title>/);
    await page.goto(path);
    await hydrated(page);
    await expect(page, path).toHaveTitle(title);
  }
  await expect(page.locator('meta[name=description]')).toHaveAttribute('content', /self-hosted/);
  // Client-side navigation updates it too.
  await page.goto('/');
  await hydrated(page);
  await page.locator('nav.primary').getByRole('link', { name: 'Runs' }).click();
  await expect(page).toHaveTitle('Collection runs · Reach');
});

test('the first Tab offers a way past the navigation', async ({ page }) => {
  await page.goto('/accounts');
  await hydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  // The next Tab lands inside the page, not in the top bar.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
});

for (const scheme of ['light', 'dark'] as const) {
  test(`every page meets WCAG AA contrast in the ${scheme} theme`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.emulateMedia({ colorScheme: scheme });
    const found: string[] = [];
    for (const path of await pages(page)) {
      await page.goto(path);
      await hydrated(page);
      // Charts draw on a canvas, which axe cannot read: skipped.
      const results = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa'])
        .exclude('.chart')
        .analyze();
      found.push(
        ...results.violations.map(
          (v) => `${path}: ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`,
        ),
      );
    }
    expect(found, scheme).toEqual([]);
  });
}
