import { expect, test, type Page } from '@playwright/test';

import { signIn } from './session';

// Runs after runs.spec.ts: reads only.

type AccountPage = { items: { id: number }[] };

/** Records every Content-Security-Policy violation of the page. */
async function watchPolicy(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportViolation: (t: string) => void }).reportViolation(
        `${event.violatedDirective} blocked ${event.blockedURI} on ${location.pathname}`,
      );
    });
  });
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return violations;
}

test('every page runs under the Content-Security-Policy without a violation', async ({ page, request }) => {
  const violations = await watchPolicy(page);
  const accounts: AccountPage = await (await request.get('/api/accounts?per_page=2')).json();
  const [a, b] = accounts.items.map((account) => account.id);
  for (const path of [
    '/',
    '/accounts',
    `/accounts/${a}`,
    '/leaderboard',
    '/brands',
    `/compare?ids=${a},${b}`,
    '/runs',
    '/performance',
    '/login',
    '/no-such-page',
  ]) {
    const response = await page.goto(path);
    const policy = response!.headers()['content-security-policy'];
    expect(policy, path).toContain("frame-ancestors 'none'");
    expect(policy, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
    await expect(page.locator('body'), path).toHaveAttribute('data-hydrated', 'true');
  }
  // A chart loads ECharts from this origin and draws under the policy.
  await page.goto(`/accounts/${a}`);
  await expect(page.locator('#history-chart canvas').first()).toBeVisible();
  expect(violations).toEqual([]);
});

test('anonymous visitors are offered to sign in instead of admin controls', async ({ page }) => {
  await page.goto('/runs');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('collect-now')).toHaveCount(0);
  await expect(page.getByTestId('sign-in-to')).toHaveText('Sign in to collect now');
  await expect(page.getByTestId('sign-in')).toBeVisible();
});

test('a wrong password is refused, the right one signs in and out', async ({ page, context }) => {
  await page.goto('/login');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('username').fill('e2e');
  await page.getByTestId('password').fill('not the password at all');
  await page.getByTestId('sign-in-submit').click();
  await expect(page.getByTestId('login-answer')).toHaveText('wrong username or password');

  await signIn(page);
  const cookie = (await context.cookies()).find((c) => c.name === 'reach_session')!;
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  expect(await page.evaluate(() => document.cookie)).not.toContain('reach_session');
  await page.goto('/runs');
  await expect(page.getByTestId('collect-now')).toBeVisible();

  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('sign-in')).toBeVisible();
  await page.goto('/runs');
  await expect(page.getByTestId('collect-now')).toHaveCount(0);
});
