// Every read endpoint of the benchmark, measured once against a server that
// is already running: `oha -n N -c 1` per endpoint (and `/healthz` first),
// printed as a Markdown table of p50 / p99 in ms. For a quick before/after
// on one data set without the whole benchmark:
//
//   REACH_NO_CACHE=true reach serve --no-collect   # on the seeded file
//   node bench/once.mjs http://127.0.0.1:3000 [N=300]
import { execFileSync } from 'node:child_process';

import { endpoints } from './endpoints.mjs';

const [base, n = '300'] = process.argv.slice(2);
if (!base) throw new Error('usage: node bench/once.mjs BASE_URL [REQUESTS]');

function measure(url) {
  const report = JSON.parse(execFileSync('oha', ['-n', n, '-c', '1', '--no-tui',
    '--output-format', 'json', url], { encoding: 'utf8' }));
  const failed = Object.entries(report.statusCodeDistribution).filter(([code]) => code !== '200');
  return { ...report.latencyPercentiles, failed };
}

const ms = (seconds) => {
  const value = seconds * 1000;
  return value >= 10 ? value.toFixed(0) : value.toFixed(2);
};

const healthz = measure(`${base}/healthz`);
console.log(`/healthz: ${ms(healthz.p50)} / ${ms(healthz.p99)} ms\n`);
console.log('| endpoint | p50 / p99 ms |\n|---|---:|');
for (const { name, path } of (await endpoints(base)).list) {
  const result = measure(base + path);
  const failed = result.failed.length ? ` (not 200: ${JSON.stringify(result.failed)})` : '';
  console.log(`| ${name} | ${ms(result.p50)} / ${ms(result.p99)}${failed} |`);
}
