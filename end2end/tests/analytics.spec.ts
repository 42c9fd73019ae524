import { expect, test, type Page } from '@playwright/test';

// Leaderboards and projections, on the demo data set (before runs.spec.ts
// collects anything).

type Entry = {
  id: number;
  handle: string;
  rank: number | null;
  previous_rank: number | null;
  value: number | null;
};
type Board = { ranked: number; as_of: string; entries: { items: Entry[]; total: number } };
type Trend = { horizons: { value: number }[]; milestones: { milestone: number }[] };
type Projection = { trend: Trend | null; reason: string | null };

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

function boardHandles(page: Page) {
  return page.locator('[data-testid=leaderboard] tbody tr[data-account-id] a.handle').allTextContents();
}

test('the leaderboard ranks by value or growth, per platform, at a past date', async ({
  page,
  request,
}) => {
  const byValue: Board = await (await request.get('/api/leaderboard')).json();
  expect(byValue.entries.total).toBe(60);
  await page.goto('/leaderboard');
  await hydrated(page);
  await expect.poll(() => boardHandles(page)).toEqual(byValue.entries.items.map((e) => e.handle));
  const firstRow = page.locator('[data-testid=leaderboard] tbody tr').first();
  await expect(firstRow.locator('.rank')).toHaveText('1');
  await expect(firstRow.locator('.move')).toHaveText(/^(=|▲\d+|▼\d+|new)$/);

  const byGrowth: Board = await (await request.get('/api/leaderboard?by=change&days=7')).json();
  await page.getByTestId('board-by').getByRole('link', { name: 'Growth', exact: true }).click();
  await page.getByTestId('board-days').getByRole('link', { name: '7d' }).click();
  await expect(page).toHaveURL(/by=change&days=7/);
  await expect.poll(() => boardHandles(page)).toEqual(byGrowth.entries.items.map((e) => e.handle));

  await page.getByLabel('Platform').selectOption('github');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/platform=github/);
  const github: Board = await (
    await request.get('/api/leaderboard?by=change&days=7&platform=github')
  ).json();
  await expect.poll(() => boardHandles(page)).toEqual(github.entries.items.map((e) => e.handle));

  // The board as it stood ten days ago: its own ranks, said in the caption.
  const past = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  await page.getByTestId('board-date').fill(past);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`date=${past}`));
  await expect(page.getByTestId('board-caption')).toContainText(`as of ${past}`);
  const then: Board = await (
    await request.get(`/api/leaderboard?by=change&days=7&platform=github&date=${past}`)
  ).json();
  await expect.poll(() => boardHandles(page)).toEqual(then.entries.items.map((e) => e.handle));
});

test('the account page projects the metric and draws it dashed on the chart', async ({
  page,
  request,
}) => {
  const top: { items: { id: number; platform: string }[] } = await (
    await request.get('/api/accounts?per_page=1')
  ).json();
  const id = top.items[0].id;
  // The observed line takes the platform's name for the audience.
  const platforms: { platform: string; counters: { metric: string; name: string }[] }[] = await (
    await request.get('/api/platforms')
  ).json();
  const audience = platforms
    .find((p) => p.platform === top.items[0].platform)!
    .counters.find((c) => c.metric === 'followers')!.name;
  const observed = audience[0].toUpperCase() + audience.slice(1);
  const projection: Projection = await (await request.get(`/api/projection?id=${id}`)).json();
  expect(projection.trend).not.toBeNull();

  await page.goto(`/accounts/${id}`);
  await hydrated(page);
  const table = page.getByTestId('projection-table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table.locator('tbody tr').first()).toContainText('30 days');
  await expect(page.getByTestId('projection')).toContainText('Theil–Sen');

  const chart = page.locator('#history-chart');
  await chart.scrollIntoViewIfNeeded();
  await expect(chart).toHaveAttribute('data-drawn', 'true');
  // The observed line, the projection with a "today" line, and its band:
  // an invisible lower edge with the shaded range stacked on it.
  type Option = {
    series: { name: string; lineStyle?: { type?: string }; areaStyle?: object; markLine?: object }[];
    legend: { data: (string | { name: string })[] }[];
    yAxis: { axisLabel: { formatter: unknown } }[];
  };
  type Instance = { getOption(): Option; dispatchAction(action: object): void };
  const summary = () =>
    page.evaluate(() => {
      const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): Instance } }).echarts;
      const option = echarts.getInstanceByDom(document.getElementById('history-chart')!).getOption();
      return {
        series: option.series.map(
          (s) =>
            `${s.name}:${s.lineStyle?.type ?? 'solid'}${s.areaStyle ? ':shaded' : ''}${s.markLine ? ':today' : ''}`,
        ),
        legend: option.legend[0].data.map((d) => (typeof d === 'string' ? d : d.name)),
        axisLabels: typeof option.yAxis[0].axisLabel.formatter,
      };
    });
  await expect
    .poll(async () => (await summary()).series)
    .toEqual([`${observed}:solid`, 'Projection:dashed:today', 'Band low:solid', 'Likely range:solid:shaded']);
  expect((await summary()).legend).toEqual([observed, 'Projection', 'Likely range']);
  expect((await summary()).axisLabels).toBe('function');
  // A tooltip reads like the rest of the page: a date, grouped digits and
  // the change since the point before.
  await page.evaluate(() => {
    const echarts = (window as unknown as { echarts: { getInstanceByDom(e: Element): Instance } }).echarts;
    echarts
      .getInstanceByDom(document.getElementById('history-chart')!)
      .dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 20 });
  });
  await expect(chart).toContainText(new RegExp(`${observed}: [\\d,]+ \\([+-]?[\\d,]+\\)`));
  await expect(chart).not.toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  // The daily gains, as bars.
  await expect(page.locator('#daily-chart')).toHaveAttribute('data-chart', 'daily');

  // Fitted on 30 days instead: a link, kept in the URL.
  await page.getByTestId('projection').getByRole('link', { name: 'from 30 days' }).click();
  await expect(page).toHaveURL(/basis=30/);
  await expect(page.getByTestId('projection')).toContainText('last 30 days');
});

test('the accounts table and an account page download their data as CSV', async ({
  page,
  request,
}) => {
  const github: { total: number; items: { id: number }[] } = await (
    await request.get('/api/accounts?platform=github')
  ).json();
  await page.goto('/accounts?platform=github');
  await hydrated(page);
  const [accounts] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-accounts-csv').click(),
  ]);
  expect(accounts.suggestedFilename()).toBe('reach-accounts.csv');
  const text = await (await accounts.createReadStream()).toArray();
  const lines = Buffer.concat(text).toString('utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^id,platform,handle,/);
  expect(lines).toHaveLength(github.total + 1);

  const id = github.items[0].id;
  const history: unknown[] = await (await request.get(`/api/history?id=${id}&range=all`)).json();
  await page.goto(`/accounts/${id}`);
  await hydrated(page);
  const [snapshots] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-history-csv').click(),
  ]);
  const rows = Buffer.concat(await (await snapshots.createReadStream()).toArray())
    .toString('utf8')
    .trim()
    .split('\n');
  expect(rows).toHaveLength(history.length + 1);
  // The page itself stays: a download is not a navigation.
  await expect(page).toHaveURL(new RegExp(`/accounts/${id}$`));
});

test('events are listed on the overview and on their account page', async ({ page, request }) => {
  type Events = { total: number; items: { account_id: number; message: string; kind: string }[] };
  const events: Events = await (await request.get('/api/events?per_page=5')).json();
  // The demo seed detects events over its whole year.
  expect(events.total).toBeGreaterThan(0);
  await page.goto('/');
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'Recent events' }) });
  await expect(section.getByTestId('events').locator('li')).toHaveCount(events.items.length);
  await expect(section.getByTestId('events').locator('li').first()).toContainText(events.items[0].message);

  const first = events.items[0];
  const own: Events = await (await request.get(`/api/events?account_id=${first.account_id}`)).json();
  await section.getByRole('link', { name: first.message }).click();
  await expect(page).toHaveURL(new RegExp(`/accounts/${first.account_id}$`));
  await expect(page.getByTestId('events').locator('li')).toHaveCount(Math.min(own.total, 10));
});

test('brands rank by combined audience and show their accounts', async ({ page, request }) => {
  type Brand = { id: number; name: string; accounts: number; followers: number; rank: number };
  const brands: Brand[] = await (await request.get('/api/brands')).json();
  expect(brands.length).toBe(5);
  await page.goto('/brands');
  await hydrated(page);
  const rows = page.locator('[data-testid=brands-table] tbody tr[data-brand-id]');
  await expect(rows).toHaveCount(5);
  await expect(rows.first()).toContainText(brands[0].name);
  await expect(rows.first().locator('.rank')).toHaveText('1');

  await rows.first().getByRole('link', { name: brands[0].name }).click();
  await expect(page).toHaveURL(new RegExp(`/brands/${brands[0].id}$`));
  await expect(page.getByTestId('brand-name')).toHaveText(brands[0].name);
  await expect(page.getByTestId('brand-accounts').locator('tbody tr')).toHaveCount(brands[0].accounts);

  // Each account page names its brand.
  await page.getByTestId('brand-accounts').locator('a.handle').first().click();
  await expect(page.getByTestId('account-brand')).toHaveText(brands[0].name);
});

test('the overview totals each tag', async ({ page, request }) => {
  const tags: { tag: string; accounts: number }[] = await (await request.get('/api/tags')).json();
  await page.goto('/');
  const rows = page.getByTestId('tag-totals').locator('tbody tr');
  await expect(rows).toHaveCount(tags.length);
  await expect(rows.first()).toContainText(tags[0].tag);
  await expect(rows.first().locator('td').nth(1)).toHaveText(String(tags[0].accounts));
});

test.describe('in Paris', () => {
  test.use({ timezoneId: 'Europe/Paris' });

  test('moments read relative once the page is live, in local time in the tooltip, UTC before', async ({ page, request }) => {
    const html = await (await request.get('/')).text();
    expect(html).toMatch(/<time datetime="[^"]+"[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
    await page.goto('/');
    await hydrated(page);
    const moment = page.getByTestId('latest-run').locator('time');
    await expect(moment).toHaveText(/^(just now|\d+ (min|h) ago|1 day ago|\d days ago)$/);
    await expect(moment).toHaveAttribute('title', /^\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+0[12]:00\)$/);
    // A moment older than a week is a local date and time.
    const accounts = await (await request.get('/api/accounts?per_page=1')).json();
    await page.goto(`/accounts/${accounts.items[0].id}`);
    await hydrated(page);
    const since = page.locator('p.muted', { hasText: 'snapshots since' }).locator('time').last();
    await expect(since).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+0[12]:00\)$/);
  });
});
