import { expect, test } from '@playwright/test';

import { everyPage } from './pages';

// A screenshot of every page on a laptop and on a phone, in the light and
// the dark theme, kept as test artefacts (test-results/) for a person to
// look at; `scripts/screenshots.sh` writes them to docs/screenshots/ too.

const sizes = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];
const themes = ['light', 'dark'] as const;
// Set by scripts/screenshots.sh: where README's pictures live.
const docs = process.env.REACH_SCREENSHOTS_DIR;

for (const size of sizes) {
  test(`screenshots at ${size.width}×${size.height}`, async ({ page, request }, testInfo) => {
    test.setTimeout(180_000);
    const pages = await everyPage(request);
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const theme of themes) {
      await page.emulateMedia({ colorScheme: theme });
      for (const [name, path] of pages) {
        await page.goto(path);
        await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
        const charts = await page.locator('[data-chart]').all();
        for (const chart of charts) {
          await chart.scrollIntoViewIfNeeded();
          await expect(chart).toHaveAttribute('data-drawn', 'true');
        }
        if (charts.length > 0) {
          // ECharts draws its lines in with an animation of about a second.
          await page.waitForTimeout(1500);
          await page.evaluate(() => window.scrollTo(0, 0));
        }
        // Nothing is wider than the screen: tables scroll inside themselves.
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${name} fits ${size.width}px`).toBeLessThanOrEqual(0);
        const shot = `${name}-${size.name}-${theme}`;
        const file = testInfo.outputPath(`${shot}.png`);
        await page.screenshot({ path: file, fullPage: true });
        await testInfo.attach(shot, { path: file, contentType: 'image/png' });
        if (docs) {
          // What a first screen shows, small enough to keep in the repository.
          await page.screenshot({ path: `${docs}/${shot}.jpeg`, type: 'jpeg', quality: 70 });
        }
      }
    }
  });
}
