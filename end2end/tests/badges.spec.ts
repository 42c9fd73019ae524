import { expect, test } from '@playwright/test';

// Reads only. A badge as another site embeds it: an <img> of its address.

type AccountPage = { items: { platform: string; handle: string }[] };

test('an account badge renders as an image another page embeds', async ({ page, request, baseURL }) => {
  const accounts: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  const { platform, handle } = accounts.items[0];
  const src = `${baseURL}/badge/${platform}/${encodeURIComponent(handle)}.svg?change=30d`;
  const svg = await (await request.get(src)).text();
  expect(svg).toContain('· demo');

  await page.setContent(`<img id="badge" alt="followers" src="${src}">`);
  const badge = page.locator('#badge');
  await expect(badge).toBeVisible();
  await expect
    .poll(() => badge.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBeGreaterThan(60);
  const height = await badge.evaluate((img: HTMLImageElement) => img.naturalHeight);
  expect(height).toBe(20);
});
