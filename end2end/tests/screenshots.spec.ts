import { expect, test } from '@playwright/test';

// A screenshot of each page on a laptop and on a phone, kept as test
// artefacts (test-results/) for a person to look at.

const sizes = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

for (const size of sizes) {
  test(`screenshots at ${size.width}×${size.height}`, async ({ page, request }, testInfo) => {
    const top = await (await request.get('/api/accounts?per_page=2')).json();
    const runs = await (await request.get('/api/runs?per_page=1')).json();
    const pages = [
      ['overview', '/'],
      ['accounts', '/accounts'],
      ['account', `/accounts/${top.items[0].id}`],
      ['runs', '/runs'],
      ['run', `/runs/${runs.items[0].id}`],
      ['compare', `/compare?ids=${top.items[0].id},${top.items[1].id}&mode=indexed`],
      ['performance', '/performance'],
    ];
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const [name, path] of pages) {
      await page.goto(path);
      await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
      const chart = page.locator('[data-chart]');
      if ((await chart.count()) > 0) {
        await chart.scrollIntoViewIfNeeded();
        await expect(chart).toHaveAttribute('data-drawn', 'true');
        // ECharts draws its lines in with an animation of about a second.
        await page.waitForTimeout(1500);
        await page.evaluate(() => window.scrollTo(0, 0));
      }
      // Nothing is wider than the screen: tables scroll inside themselves.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `${name} fits ${size.width}px`).toBeLessThanOrEqual(0);
      const file = testInfo.outputPath(`${name}-${size.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await testInfo.attach(`${name}-${size.name}`, { path: file, contentType: 'image/png' });
    }
  });
}
