import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

import { expect, test } from '@playwright/test';

// Live updates: an open overview shows a run's writes without a reload,
// after `reach collect` (another process) stores them.
test('the overview updates itself after reach collect writes', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const status = page.getByTestId('live-status');
  await expect(status).toHaveAttribute('data-state', 'on');
  await expect(status).toHaveText('● Live');
  const latestRun = page.getByTestId('latest-run').locator('time');
  const runBefore = (await latestRun.count()) ? await latestRun.getAttribute('datetime') : null;
  // A mark that a reload would lose.
  await page.evaluate(() => ((window as unknown as { reachMark: number }).reachMark = 42));

  const root = resolve(__dirname, '../..');
  const bin = process.env.REACH_BIN ?? 'target/debug/reach';
  execFileSync(bin, ['--database-url', 'sqlite://target/e2e/reach.db', 'collect'], {
    cwd: root,
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: 'inherit',
  });

  await expect(status).not.toHaveAttribute('data-updates', '0', { timeout: 15_000 });
  // The new run, in place.
  await expect.poll(() => latestRun.getAttribute('datetime')).not.toBe(runBefore);
  expect(await page.evaluate(() => (window as unknown as { reachMark?: number }).reachMark)).toBe(42);
  // The page is still live: its islands work after the swap.
  await expect(status).toHaveAttribute('data-state', 'on');
});
