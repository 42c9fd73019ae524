#!/usr/bin/env node
// Lighthouse's mobile preset on every page of the dashboard, and the time
// to interactive on a throttled phone measured for real in Chromium.
//
//   bench/lighthouse.sh               (builds, installs Lighthouse, runs this)
//   REACH_BIN=target/release/reach node bench/lighthouse.mjs [--runs 3] [--output FILE]
//
// The server: the release build with the demo data set (a fresh SQLite
// file), no scheduled collection. For each page Lighthouse 12 runs `--runs`
// times (mobile: a Moto G Power's screen, 4× CPU slowdown, 150 ms round
// trips, 1.6 Mbit/s, simulated) and the median of the performance score and
// of Total Blocking Time is kept. Then Chromium loads each page three times
// under the same conditions applied for real (DevTools throttling) and the
// median time until the dashboard has hydrated (`data-hydrated` on <body>)
// is kept. Figures, not checks: the table is printed (and written to FILE).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from './net.mjs';
import { reachBinary } from './binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'end2end/package.json'));
const { everyPage } = require('./tests/pages.cjs');
const reach = reachBinary(root);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const lighthouse = path.join(root, 'bench/node_modules/.bin/lighthouse');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(option('--runs', 3));
const output = option('--output', null);
const only = option('--pages', null)?.split(',');
const chromeFlags = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
// Lighthouse's mobile preset, applied for real.
const PHONE = { cpu: 4, latency: 150, download: (1.6 * 1024 * 1024) / 8, upload: (750 * 1024) / 8 };

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};


async function startServer() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'reach-lighthouse-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(reach, ['serve', '--demo', '--no-collect'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${data}/reach.db`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      REACH_API_RATE_LIMIT: '0',
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 1200; i++) {
    try {
      if ((await fetch(`${base}/api/overview`)).ok) return { base, child, data };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('reach serve did not answer in 120 s');
}

function lighthouseRun(url) {
  const file = path.join(os.tmpdir(), `reach-lighthouse-${process.pid}.json`);
  execFileSync(lighthouse, [
    url, '--only-categories=performance', '--output=json', `--output-path=${file}`, '--quiet',
    `--chrome-flags=${chromeFlags.join(' ')}`,
  ], { env: { ...process.env, CHROME_PATH: chromium }, stdio: ['ignore', 'ignore', 'inherit'] });
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file);
  return {
    score: Math.round(report.categories.performance.score * 100),
    tbt: report.audits['total-blocking-time'].numericValue,
    lcp: report.audits['largest-contentful-paint'].numericValue,
  };
}

async function throttledHydration(browser, url) {
  const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: PHONE.latency, downloadThroughput: PHONE.download, uploadThroughput: PHONE.upload,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: PHONE.cpu });
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 60_000 });
  const hydrated = await page.evaluate(() => performance.now());
  await context.close();
  return hydrated;
}

const server = await startServer();
try {
  const getJson = async (p) => (await fetch(server.base + p)).json();
  const pages = (await everyPage(getJson)).filter(([name]) => !only || only.includes(name));
  const { chromium: playwright } = require('@playwright/test');
  const browser = await playwright.launch({ executablePath: chromium, args: chromeFlags.slice(1) });
  const rows = [];
  for (const [name, pagePath] of pages) {
    const url = server.base + pagePath;
    const measured = [];
    for (let i = 0; i < runs; i++) measured.push(lighthouseRun(url));
    const hydration = [];
    for (let i = 0; i < 3; i++) hydration.push(await throttledHydration(browser, url));
    const row = {
      name,
      path: pagePath.replace(/\d+/g, 'N'),
      score: median(measured.map((m) => m.score)),
      tbt: median(measured.map((m) => m.tbt)),
      lcp: median(measured.map((m) => m.lcp)),
      hydrated: median(hydration),
    };
    console.error(`${name}: ${JSON.stringify(row)}`);
    rows.push(row);
  }
  await browser.close();
  const table = [
    '| page | path | performance | Total Blocking Time | LCP (simulated) | hydrated, throttled for real |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | \`${r.path}\` | ${r.score} | ${r.tbt.toFixed(0)} ms | ${(r.lcp / 1000).toFixed(1)} s | ${(r.hydrated / 1000).toFixed(2)} s |`),
  ].join('\n');
  console.log(table);
  if (output) fs.writeFileSync(output, `${table}\n`);
} finally {
  server.child.kill('SIGTERM');
  fs.rmSync(server.data, { recursive: true, force: true });
}
