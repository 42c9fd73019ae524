import { expect, test } from '@playwright/test';

import { signIn } from './session';

// The live count on an account's page: an admin watches, the server
// collects that account (a run of it alone), and the page's counters and
// "Last collected" follow without a reload.
test('an admin watches an account and its page follows each collection', async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page);
  await page.goto('/accounts/1');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const collected = page.getByTestId('last-collected').locator('time').first();
  const before = await collected.getAttribute('datetime');
  // A mark that a reload would lose.
  await page.evaluate(() => ((window as unknown as { reachMark: number }).reachMark = 7));

  const toggle = page.getByTestId('live-count-toggle');
  await expect(toggle).toHaveText('● Watch the live count');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const status = page.getByTestId('live-count-status');
  await expect(status).toContainText('Live:');
  await expect(status).toContainText('every 10 s');

  // The collection is stored and the page shows it in place (within the
  // 10 s interval if the account was collected just before, plus the run).
  await expect.poll(() => collected.getAttribute('datetime'), { timeout: 40_000 }).not.toBe(before);
  expect(await page.evaluate(() => (window as unknown as { reachMark?: number }).reachMark)).toBe(7);
  // The island survived the swap: still watching, and it stops on a click.
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await expect(status).toHaveText('Stopped.');
});

test('visitors see no live count', async ({ page }) => {
  await page.goto('/accounts/1');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('account-handle')).toBeVisible();
  await expect(page.getByTestId('live-count')).toHaveCount(0);
});
