import { expect, test } from '@playwright/test';

import { signIn } from './session';

// Runs after interactions.spec.ts and before nojs.spec.ts: the account it
// adds is deleted again at its end.

test('an admin adds an account, edits it and deletes it', async ({ page }) => {
  await signIn(page);
  await page.goto('/accounts');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('add-account').click();

  // A handle that breaks the platform's rules is refused with the rule.
  await page.getByTestId('new-platform').selectOption('mastodon');
  await page.getByTestId('new-handle').fill('not a handle');
  await page.getByTestId('add-submit').click();
  await expect(page.getByTestId('add-answer')).toContainText('user@instance');

  await page.getByTestId('new-handle').fill('@Ada@Example.Social');
  await page.getByTestId('new-core').check();
  await page.getByTestId('new-tags').fill('Science, maths');
  await page.getByTestId('add-submit').click();
  await expect(page).toHaveURL(/\/accounts\/\d+$/);
  await expect(page.getByTestId('account-handle')).toHaveText('Ada@example.social');
  await expect(page.locator('main')).toContainText('core account');
  await expect(page.locator('main')).toContainText('tags: maths, science');

  // The table shows it at once: the write dropped the cached answers.
  await page.goto('/accounts?q=Ada%40example');
  await expect(page.locator('[data-testid=accounts-table] tbody tr[data-account-id]')).toHaveCount(1);
  await page.getByRole('link', { name: 'Ada@example.social' }).first().click();
  await expect(page.getByTestId('account-admin')).toBeVisible();

  await page.getByTestId('edit-core').uncheck();
  await page.getByTestId('edit-tags').fill('art');
  await page.getByTestId('save-account').click();
  await expect(page.locator('main')).toContainText('tags: art');
  await expect(page.locator('main')).not.toContainText('core account');

  await page.getByTestId('delete-account').click();
  await page.getByTestId('confirm-delete').click();
  await expect(page).toHaveURL(/\/accounts$/);
  await page.goto('/accounts?q=Ada%40example');
  await expect(page.locator('[data-testid=accounts-table] tbody tr[data-account-id]')).toHaveCount(0);
});

test('visitors see no controls that change accounts', async ({ page, request }) => {
  await page.goto('/accounts');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('add-account')).toHaveCount(0);
  await expect(page.getByTestId('sign-in-to')).toHaveText('Sign in to add accounts');
  const top = await (await request.get('/api/accounts?per_page=1')).json();
  await page.goto(`/accounts/${top.items[0].id}`);
  await expect(page.getByTestId('account-admin')).toHaveCount(0);
  await expect(page.getByTestId('sign-in-to')).toHaveText('Sign in to edit, watch or delete this account');
});
