import { writeFileSync } from 'node:fs';

import { expect, test } from '@playwright/test';

import { everyPage } from './pages';

// What each page costs on the wire before it is interactive: the bytes of
// every response that had arrived when the dashboard hydrated (Resource
// Timing's transfer sizes: compressed bodies, and 300 bytes of headers
// each). `scripts/sizes.sh` writes the table (REACH_SIZES_OUT) that README
// shows.
//
// The budget is 250 KB a page (issue 21): the pages are rendered on the
// server, and only their islands (charts, forms that write, live tables)
// ship WASM.
const BUDGET = 250_000;
const kinds = ['html', 'css', 'js', 'wasm', 'other'] as const;
type Kind = (typeof kinds)[number];

function kindOf(url: string, navigation: boolean): Kind {
  const path = new URL(url).pathname;
  if (navigation) return 'html';
  if (path.endsWith('.css')) return 'css';
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js')) return 'js';
  return 'other';
}

test('no page needs more than its budget on the wire before it is interactive', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const rows: string[] = [];
  const over: string[] = [];
  for (const [name, path] of await everyPage(request)) {
    // A new browser for each page: nothing comes from an earlier one's cache.
    const context = await browser.newContext();
    const page = await context.newPage();
    // The moment hydration marks <body>, not when a poll notices it.
    await page.addInitScript(() => {
      new MutationObserver(() => {
        const w = window as unknown as { hydratedAt?: number };
        if (document.body?.dataset.hydrated === 'true' && w.hydratedAt === undefined) {
          w.hydratedAt = performance.now();
        }
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
    });
    await page.goto(path);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    // Resource Timing: what had arrived by then, compressed, headers included.
    const arrived = await page.evaluate(() => {
      const hydratedAt = (window as unknown as { hydratedAt: number }).hydratedAt;
      const entries = [
        ...performance.getEntriesByType('navigation'),
        ...performance.getEntriesByType('resource'),
      ] as PerformanceResourceTiming[];
      return entries
        .filter((entry) => entry.responseEnd <= hydratedAt)
        .map((entry) => ({ url: entry.name, bytes: entry.transferSize, navigation: entry.entryType === 'navigation' }));
    });
    await context.close();
    const bytes: Record<Kind, number> = { html: 0, css: 0, js: 0, wasm: 0, other: 0 };
    for (const entry of arrived) bytes[kindOf(entry.url, entry.navigation)] += entry.bytes;
    const total = kinds.reduce((sum, kind) => sum + bytes[kind], 0);
    // A file fetched twice (a preload its fetch did not use) is waste.
    const urls = arrived.map((entry) => entry.url);
    const twice = urls.filter((url, i) => urls.indexOf(url) !== i);
    expect(twice, `${name}: fetched twice`).toEqual([]);
    if (total > BUDGET) over.push(`${name} (${path}): ${total} bytes, ${JSON.stringify(bytes)}`);
    const kb = (n: number) => (n / 1000).toFixed(1);
    rows.push(`| ${name} | \`${path.replace(/\d+/g, 'N')}\` | ${arrived.length} | ${kinds.map((k) => kb(bytes[k])).join(' | ')} | **${kb(total)}** |`);
  }
  const table = [
    '| page | path | files | HTML | CSS | JS | WASM | other | total (KB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  console.log(table);
  if (process.env.REACH_SIZES_OUT) writeFileSync(process.env.REACH_SIZES_OUT, `${table}\n`);
  expect(over, `pages over ${BUDGET} bytes`).toEqual([]);
});
