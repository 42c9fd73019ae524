import { expect, test } from '@playwright/test';

// The pages that must work without JavaScript: server-rendered content is
// readable, links and the filter form work by plain navigation.
test.use({ javaScriptEnabled: false });

type AccountPage = { items: { id: number; handle: string }[]; total: number };

test('every page is readable without JavaScript', async ({ page, request }) => {
  const top: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  await page.goto('/');
  await expect(page.getByTestId('total-accounts')).toContainText('60');
  await expect(page.getByTestId('top-growers').locator('tbody tr')).toHaveCount(5);

  await page.getByRole('link', { name: 'Accounts', exact: true }).click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.locator('[data-testid=accounts-table] tbody tr[data-account-id]')).toHaveCount(25);

  await page.getByRole('link', { name: top.items[0].handle, exact: true }).first().click();
  await expect(page).toHaveURL(new RegExp(`/accounts/${top.items[0].id}$`));
  await expect(page.getByTestId('account-handle')).toHaveText(top.items[0].handle);
  await expect(page.getByTestId('daily-table').locator('tbody tr').first()).toBeVisible();

  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await expect(page.getByTestId('run-row').first()).toBeVisible();

  await page.getByRole('link', { name: 'Leaderboard', exact: true }).click();
  await expect(page.locator('[data-testid=leaderboard] tbody tr[data-rank]')).toHaveCount(25);
  await page.getByTestId('board-by').getByRole('link', { name: 'Growth %' }).click();
  await expect(page).toHaveURL(/by=percent/);
  await page.locator('select[name=platform]').selectOption('github');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/metric=followers&by=percent&days=30&platform=github/);
  await expect(page.locator('[data-testid=leaderboard] tbody tr .badge.github').first()).toBeVisible();

  await page.getByRole('link', { name: 'Brands', exact: true }).click();
  await expect(page.locator('[data-testid=brands-table] tbody tr[data-brand-id]')).toHaveCount(5);
});

test('sorting, paging and the filter form work by plain navigation', async ({
  page,
  request,
}) => {
  await page.goto('/accounts');
  await page.locator('th a[data-sort=handle]').click();
  await expect(page).toHaveURL(/sort=handle&dir=asc/);
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);

  const github: AccountPage = await (await request.get('/api/accounts?platform=github')).json();
  await page.goto('/accounts');
  await page.getByLabel('Platform').selectOption('github');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/platform=github/);
  await expect(page.getByTestId('pager-status')).toContainText(`of ${github.total}`);
});
