import { expect, type Page } from '@playwright/test';

import { adminPassword } from '../playwright.config';

/** Signs in as the tests' admin through the sign-in page. */
export async function signIn(page: Page) {
  await page.goto('/login');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('username').fill('e2e');
  await page.getByTestId('password').fill(adminPassword);
  await page.getByTestId('sign-in-submit').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('signed-in')).toHaveText('e2e');
}
