import { expect, test } from '@playwright/test';

// Reads only. A share card as a link preview reads it (its Open Graph tags
// and their picture) and as a person sees it.

type AccountPage = { items: { platform: string; handle: string; latest: { followers: number | null } }[] };

test('an account card has its Open Graph tags and a preview picture', async ({ page, request, baseURL }) => {
  const accounts: AccountPage = await (await request.get('/api/accounts?per_page=1')).json();
  const { platform, handle, latest } = accounts.items[0];
  const address = `${baseURL}/card/${platform}/${encodeURIComponent(handle)}`;
  await page.goto(address);

  const meta = (property: string) =>
    page.locator(`meta[property="${property}"], meta[name="${property}"]`).getAttribute('content');
  expect(await meta('og:title')).toContain('·');
  expect(await meta('og:url')).toBe(address);
  expect(await meta('twitter:card')).toBe('summary_large_image');
  const description = await meta('og:description');
  // The stored count, every digit, and the demo account said to be one.
  expect(description).toContain(latest.followers!.toLocaleString('en-US'));
  expect(description).toContain('Demo data');

  // The picture the tags name is an absolute address that answers a PNG
  // of the announced size, and the page shows it.
  const image = (await meta('og:image'))!;
  expect(image).toBe(`${address}.png`);
  const answer = await request.get(image);
  expect(answer.status()).toBe(200);
  expect(answer.headers()['content-type']).toBe('image/png');
  expect(await meta('og:image:width')).toBe('1200');
  const shown = page.locator('img');
  await expect
    .poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(1200);
  expect(await shown.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(630);
});
