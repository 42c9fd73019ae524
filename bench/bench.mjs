// The benchmark driver behind bench/run.sh (which builds Reach and installs
// wrk first). It seeds the standard data sets, starts the release binary on
// each, drives it with wrk, measures the dashboard in headless Chromium and
// writes bench/RESULTS.md: the generated part above the notes marker, the
// hand-written notes below it kept as they are.
//
//   node bench/bench.mjs [--sizes 1000,10000,100000] [--main 10000]
//                        [--duration 5] [--postgres] [--output FILE]
//                        [--seed-only]   (only the data sets, seeded if missing)
//   node bench/bench.mjs --load [--main 10000] [--clients 200]
//                        [--load-duration 60] [--rounds 3] [--output FILE]
//                        [--keep-requests DIR]
//                        [--writes-elsewhere] [--client-nice N]
//
// --load runs only the load under writes: a mixed read workload from many
// clients at saturation, idle and then while collection runs write one
// snapshot per account back to back; then at a fixed rate while idle
// windows and whole runs alternate (--rounds of them at least); its
// figures go in a block of their own in the output (kept when the rest is
// regenerated). It fails on any error. With --writes-elsewhere the runs
// write another copy of the data set: the server has nothing to compute
// again, and what is left is what sharing the machine with a run costs.
// With --client-nice N the fixed-rate load generator runs at that CPU
// priority (negative: ahead of the server and the database; needs root):
// its clients stand for machines of their own, and a generator waiting for
// a CPU times its own wait as the server's.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { endpoints, getJson } from './endpoints.mjs';
import { fetch, freePort } from './net.mjs';
import { reachBinary } from './binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = parseOptions(process.argv.slice(2));
const reach = reachBinary(root);
// cargo-leptos writes the site under the working directory's target/.
const siteRoot = process.env.REACH_SITE_ROOT ?? path.join(root, 'target/site');
const dataDir = process.env.REACH_BENCH_DATA ?? path.join(os.homedir(), '.cache/reach/bench');
const postgresBase = process.env.REACH_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432';
const NOTES_MARKER = '<!-- Notes: written by hand, kept when the file is regenerated. -->';
/** Connections of the throughput runs (latency runs use one). */
const CONNECTIONS = 16;
/** Requests per endpoint whose statements are counted. */
const COUNTED_REQUESTS = 10;
const MiB = 1024 * 1024;

function parseOptions(argv) {
  const options = {
    sizes: [1000, 10000, 100000],
    main: 10000,
    duration: 5,
    postgres: false,
    load: false,
    seedOnly: false,
    clients: 200,
    loadDuration: 60,
    rounds: 3,
    writesElsewhere: false,
    keepRequests: null,
    clientNice: null,
    output: path.join(root, 'bench/RESULTS.md'),
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--sizes': options.sizes = value().split(',').map(Number); break;
      case '--main': options.main = Number(value()); break;
      case '--duration': options.duration = Number(value()); break;
      case '--postgres': options.postgres = true; break;
      case '--load': options.load = true; break;
      case '--seed-only': options.seedOnly = true; break;
      case '--clients': options.clients = Number(value()); break;
      case '--load-duration': options.loadDuration = Number(value()); break;
      case '--rounds': options.rounds = Number(value()); break;
      case '--writes-elsewhere': options.writesElsewhere = true; break;
      case '--keep-requests': options.keepRequests = path.resolve(value()); break;
      case '--client-nice': options.clientNice = Number(value()); break;
      case '--output': options.output = path.resolve(value()); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!options.sizes.includes(options.main)) options.sizes.push(options.main);
  options.sizes.sort((a, b) => a - b);
  return options;
}

const log = (...args) => console.error('[bench]', ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (us) => us / 1000;

// ---------------------------------------------------------------------------
// Data sets

/** The database of the `size`-account data set, seeded if missing. */
async function dataSet(size) {
  const today = new Date().toISOString().slice(0, 10);
  let url;
  let file = null;
  if (options.postgres) {
    const name = `reach_bench_${size}`;
    url = `${postgresBase}/${name}`;
    const marker = path.join(dataDir, `${name}.seeded`);
    if (readIfExists(marker) === today) return { url, file, seeded: null };
    psql(`DROP DATABASE IF EXISTS ${name}`);
    psql(`CREATE DATABASE ${name}`);
    const seeded = seed(url, size);
    // On a new machine the first data set may be PostgreSQL's.
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(marker, today);
    return { url, file, seeded };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  file = path.join(dataDir, `reach-${size}-${today}.db`);
  url = `sqlite://${file}?mode=rwc`;
  if (fs.existsSync(file)) return { url, file, seeded: null };
  for (const old of fs.readdirSync(dataDir)) {
    if (old.startsWith(`reach-${size}-`)) fs.rmSync(path.join(dataDir, old));
  }
  const partial = `${file}.partial`;
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
  const seeded = seed(`sqlite://${partial}?mode=rwc`, size);
  // One file, no WAL beside it: copies of it are whole.
  execFileSync('sqlite3', [partial, 'PRAGMA wal_checkpoint(TRUNCATE);'], { stdio: 'ignore' });
  fs.renameSync(partial, file);
  for (const suffix of ['-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
  return { url, file, seeded };
}

/**
 * What a seed or a copy wrote reaches the disk before reads are timed: on
 * PostgreSQL a `CHECKPOINT` (otherwise the checkpoints forced by the load's
 * WAL write it back during the first runs: 60-90 ms stalls at every size on
 * 2026-12-03), then `sync` for the kernel's dirty pages on both databases;
 * then the data set's file is read once on SQLite, as a server that has been
 * running would find it in the page cache. Reads are measured on a settled
 * data set; what a write costs readers is the writes and load sections'.
 */
function settle(set) {
  const started = Date.now();
  if (options.postgres) psql('CHECKPOINT');
  execFileSync('sync');
  if (set.file) {
    const buffer = Buffer.alloc(8 * MiB);
    const fd = fs.openSync(set.file, 'r');
    try { while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0); } finally { fs.closeSync(fd); }
  }
  log(`settled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function seed(url, size) {
  log(`seeding ${size} accounts × 365 days`);
  const started = Date.now();
  execFileSync(reach, ['seed', '--accounts', String(size), '--days', '365'], {
    env: { ...process.env, DATABASE_URL: url, RUST_LOG: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return (Date.now() - started) / 1000;
}

function psql(sql, database = 'postgres') {
  return execFileSync('psql', [`${postgresBase}/${database}`, '-qAtc', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '--client-min-messages=warning' },
  }).trim();
}

function readIfExists(file) {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { return null; }
}

// ---------------------------------------------------------------------------
// The server


/** Starts `reach serve` on `databaseUrl`; resolves once it is ready. */
async function startServer(databaseUrl, { cache }) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(reach, ['serve', '--no-collect'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LEPTOS_SITE_ROOT: siteRoot,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      REACH_NO_CACHE: cache ? 'false' : 'true',
      // wrk is one client at thousands of requests a second: the per-address
      // limit would measure itself.
      REACH_API_RATE_LIMIT: '0',
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.on('exit', () => { exited = true; });
  for (let i = 0; i < 600; i++) {
    if (exited) throw new Error('reach serve exited during start-up');
    try {
      const answer = await fetch(`${base}/readyz`);
      if (answer.ok) return { base, child, pid: child.pid };
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('reach serve did not become ready in 60 s');
}

async function stopServer(server) {
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
}

/** Resident memory now and at its peak, in bytes. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}


// ---------------------------------------------------------------------------
// Load

function wrkArgs(url, { connections = 1, threads = 1, duration = options.duration, paths = null }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${duration}s`, '--timeout', '5s',
    '-s', path.join(root, 'bench/wrk.lua'), url];
  if (paths) args.push('--', paths);
  return args;
}

/** The JSON line `bench/wrk.lua` prints. */
function wrkFigures(url, out) {
  const line = out.split('\n').find((l) => l.startsWith('{'));
  const figures = JSON.parse(line);
  figures.rps = figures.requests / (figures.duration_us / 1e6);
  if (figures.errors || figures.non_2xx) {
    log(`${url}: ${figures.errors} errors, ${figures.non_2xx} non-2xx answers`);
  }
  return figures;
}

/** One wrk run; `paths` (a file of paths) makes it a mix. */
function wrk(url, settings = {}) {
  return wrkFigures(url, execFileSync('wrk', wrkArgs(url, settings), { encoding: 'utf8' }));
}

/** [`wrk`], without blocking: other processes are driven meanwhile. */
function wrkInBackground(url, settings) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', wrkArgs(url, settings), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.on('exit', (code) => (code === 0 ? resolve(wrkFigures(url, out)) : reject(new Error(`wrk: ${code}`))));
  });
}

/**
 * oha at a fixed arrival rate (`-q`, with latency correction: a request is
 * timed from when it was due, not from when a connection was free) over
 * the URLs in `urlsFile`, without blocking. Times in microseconds, as wrk's.
 */
function ohaInBackground(urlsFile, rate, duration, requestsDb) {
  const args = ['-z', `${duration}s`, '-q', String(rate), '-c', '64', '--latency-correction',
    '--no-tui', '--output-format', 'json', '-t', '5s', '-w', '--urls-from-file', urlsFile];
  // Every request's times, to pool the phases of several rounds exactly.
  if (requestsDb) args.push('--db-url', requestsDb);
  return new Promise((resolve, reject) => {
    const child = options.clientNice === null
      ? spawn('oha', args, { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('nice', ['-n', String(options.clientNice), 'oha', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`oha: ${code}`));
      resolve({ rate, ...ohaFigures(JSON.parse(out)) });
    });
  });
}

/**
 * Every request oha recorded in `requestsDb` (`--db-url`; written when
 * it ends normally): when it was due, in ms since oha started, its
 * latency in µs as oha reports it with latency correction (from when it
 * was due, not when it went out, so a stall delays every request queued
 * behind it), and its status. Requests that failed (no answer) are not
 * recorded; oha's report counts them.
 */
function recordedRequests(requestsDb) {
  const out = execFileSync('sqlite3', ['-separator', ' ', requestsDb,
    `SELECT CAST(ROUND(COALESCE(start_latency_correction, start) * 1e3) AS INTEGER),
            CAST(ROUND((end - COALESCE(start_latency_correction, start)) * 1e6) AS INTEGER),
            status
     FROM oha`],
  { encoding: 'utf8', maxBuffer: 512 * MiB });
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const [due, latency, status] = line.split(' ').map(Number);
    return { due, latency, status };
  });
}

/** The `q` quantile of sorted latencies (nearest rank). */
function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Percentiles of `requests` answered over `seconds`. */
function summary(requests, seconds, rate) {
  const sorted = Int32Array.from(requests.map((r) => r.latency)).sort();
  return {
    rate,
    seconds,
    requests: requests.length,
    rps: requests.length / Math.max(1e-9, seconds),
    p50_us: quantile(sorted, 0.5),
    p95_us: quantile(sorted, 0.95),
    p99_us: quantile(sorted, 0.99),
    max_us: sorted.length ? sorted[sorted.length - 1] : 0,
    non_2xx: requests.filter((r) => r.status < 200 || r.status > 299).length,
  };
}

/**
 * Latency: one connection, requests back to back for `duration` seconds,
 * timed by oha. wrk 4.1 times requests with `gettimeofday`; on this
 * machine (a Firecracker guest, clocksource tsc) its one-connection runs
 * now and then reported latencies that add up to more than the run's wall
 * time (60-80 ms p99 "tails" that oha, on a monotonic clock, never saw on
 * the same sets): see RESULTS, 2026-12-03 late. wrk stays the throughput
 * generator. Times in microseconds, as wrk's.
 */
function latencyRun(url, duration = options.duration) {
  const report = JSON.parse(execFileSync('oha', ['-z', `${duration}s`, '-c', '1', '--no-tui',
    '--output-format', 'json', '-t', '5s', url], { encoding: 'utf8', maxBuffer: 64 * MiB }));
  const figures = ohaFigures(report);
  if (figures.errors || figures.non_2xx) {
    log(`${url}: ${figures.errors} errors, ${figures.non_2xx} non-2xx answers`);
  }
  return figures;
}

/**
 * The figures of oha's JSON report, named and in microseconds as wrk's.
 * A request cut off when `-z` ends (without `-w`) is not a failed answer.
 */
function ohaFigures(report) {
  const us = (seconds) => Math.round((seconds ?? 0) * 1e6);
  const statuses = report.statusCodeDistribution ?? {};
  const count = (entries) => entries.reduce((sum, [, n]) => sum + n, 0);
  return {
    requests: count(Object.entries(statuses)),
    duration_us: us(report.summary.total),
    rps: report.summary.requestsPerSec,
    mean_us: us(report.summary.average),
    p50_us: us(report.latencyPercentiles.p50),
    p90_us: us(report.latencyPercentiles.p90),
    p99_us: us(report.latencyPercentiles.p99),
    max_us: us(report.summary.slowest),
    errors: count(Object.entries(report.errorDistribution ?? {})
      .filter(([kind]) => !kind.includes('aborted due to deadline'))),
    non_2xx: count(Object.entries(statuses).filter(([status]) => !status.startsWith('2'))),
  };
}

/** Latency (one connection, back to back) and throughput (many). */
function measure(base, endpoint) {
  const url = base + endpoint.path;
  const latency = latencyRun(url);
  const throughput = wrk(url, { connections: CONNECTIONS });
  return { latency, throughput };
}

/** Statements per request: the database series of /api/performance, before and after. */
async function statementsPerRequest(base, endpoint) {
  const count = async () => {
    const performance = await getJson(`${base}/api/performance`);
    return performance.database.queries.reduce((sum, q) => sum + q.count, 0);
  };
  const before = await count();
  for (let i = 0; i < COUNTED_REQUESTS; i++) {
    const answer = await fetch(base + endpoint.path);
    await answer.arrayBuffer();
  }
  const after = await count();
  return (after - before) / COUNTED_REQUESTS;
}

/**
 * The mixed read workload: what a dashboard's readers ask for, weighted.
 * Account pages follow a Zipf-like popularity (a few accounts are looked at
 * far more than the rest), so most reads repeat recent ones.
 */
function mixedPaths(size, file) {
  const lines = [];
  const add = (weight, p) => { for (let i = 0; i < weight; i++) lines.push(p); };
  add(100, '/api/overview');
  for (let page = 1; page <= 5; page++) add(Math.round(60 / page), `/api/accounts?page=${page}`);
  for (const sort of ['handle', 'change_7d', 'change_30d', 'views']) add(8, `/api/accounts?sort=${sort}`);
  for (const platform of ['youtube', 'github', 'mastodon', 'bluesky']) add(6, `/api/accounts?platform=${platform}`);
  add(6, '/api/accounts?core=true');
  add(4, '/api/tags');
  add(40, '/api/leaderboard');
  add(10, '/api/leaderboard?by=percent&days=7');
  add(10, '/api/runs');
  // Accounts by popularity: the k-th most viewed about 1/k as often.
  const viewed = Math.min(size, 500);
  for (let k = 1; k <= viewed; k++) {
    const id = 1 + ((k * 7919) % size);
    const weight = Math.max(1, Math.round(200 / k));
    add(weight, `/api/account?id=${id}`);
    add(weight, `/api/history?id=${id}&range=90d`);
    if (k <= 50) add(Math.max(1, Math.round(40 / k)), `/api/history?id=${id}&range=1y`);
  }
  add(20, '/api/compare?ids=1,2,3&range=1y');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { file, distinct: new Set(lines).size, weighted: lines.length };
}

async function cacheCounters(base) {
  const stats = await getJson(`${base}/api/cache`);
  let hits = 0;
  let misses = 0;
  let stale = 0;
  let waited = 0;
  for (const kind of stats.kinds) {
    hits += kind.local_hits + kind.redis_hits;
    misses += kind.misses;
    stale += kind.stale_hits ?? 0;
    waited += kind.waited ?? 0;
  }
  return { hits, misses, stale, waited };
}

// ---------------------------------------------------------------------------
// Writes

/**
 * A copy of a data set to write to (`label` names it): its URL, and
 * `remove()` to delete it.
 */
function copyOf(set, size, label) {
  if (set.file) {
    const copy = path.join(dataDir, `${label}-${size}.db`);
    fs.copyFileSync(set.file, copy);
    return {
      url: `sqlite://${copy}?mode=rwc`,
      remove: () => { for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true }); },
    };
  }
  const database = `reach_bench_${label}_${size}`;
  psql(`DROP DATABASE IF EXISTS ${database}`);
  psql(`CREATE DATABASE ${database} TEMPLATE reach_bench_${size}`);
  return {
    url: `${postgresBase}/${database}`,
    remove: () => psql(`DROP DATABASE IF EXISTS ${database}`),
  };
}

/** `reach collect` on `url` (`env` added): its wall time and the run it recorded. */
async function collectOnce(url, env = {}) {
  const started = Date.now();
  const collect = spawn(reach, ['collect'], {
    env: { ...process.env, DATABASE_URL: url, RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    collect.on('exit', (code) => (code === 0 ? resolve(Date.now() - started) : reject(new Error(`reach collect: ${code}`))));
  });
}

/**
 * A collection run of every account on a copy of the data set: first alone
 * and without rests (`REACH_COLLECT_DUTY=100`: what the writing costs
 * Reach, the target's figure), then on a fresh copy beside reads measured
 * before and during it. Beside reads the collector runs as configured: at
 * its lower CPU priority (`REACH_COLLECT_NICE`), resting between its
 * batches (`REACH_COLLECT_DUTY`), so that run is slower by design: it
 * yields to the readers.
 */
async function writeBenchmark(set, size, mixFile) {
  const alone = copyOf(set, size, 'write');
  let solo;
  try {
    const wall = await collectOnce(alone.url, { REACH_COLLECT_DUTY: '100' });
    const server = await startServer(alone.url, { cache: false });
    try {
      solo = { wall, run: (await getJson(`${server.base}/api/runs?per_page=1`)).items[0] };
    } finally {
      await stopServer(server);
    }
  } finally {
    alone.remove();
  }
  const { url, remove } = copyOf(set, size, 'write');
  const server = await startServer(url, { cache: false });
  try {
    const idle = wrk(server.base, { connections: 4, paths: mixFile, duration: options.duration });
    // The run: every account is due (the seed's last snapshot is from midnight).
    const finished = collectOnce(url);
    const during = wrk(server.base, { connections: 4, paths: mixFile, duration: options.duration });
    const wall = await finished;
    const runs = await getJson(`${server.base}/api/runs?per_page=1`);
    const run = runs.items[0];
    return { solo, idle, during, wall, run };
  } finally {
    await stopServer(server);
    remove();
  }
}

// ---------------------------------------------------------------------------
// Load under writes

const LOAD_BEGIN = '<!-- load under writes: generated by bench/bench.mjs --load -->';
const LOAD_END = '<!-- end of load under writes -->';

/** Settling after a run: its end's answers computed again in the background. */
const SETTLE_MS = 2000;

/**
 * One oha stream at `rate` while idle windows (`loadDuration / rounds`
 * seconds) and whole collection runs alternate on `url`, so that what else
 * the shared machine does at a given moment weighs on both sides alike.
 * Each request counts on the side its due time fell on: while writing from
 * a run's start until two seconds after its end (the recomputations it
 * caused included), idle otherwise. The stream lasts `rounds` idle windows
 * and runs (each allowed the longest of the saturated phase's runs, which
 * were slower, and its settling) and a last idle window; a run starts only
 * if it should end before the stream does, so faster runs make more
 * rounds.
 */
async function fixedRateAlternating(urls, rate, url, base, saturatedRuns) {
  const idleWindow = (options.loadDuration / options.rounds) * 1000;
  const allowance = (Math.max(1000, ...saturatedRuns) + SETTLE_MS) / 1000;
  const total = Math.ceil(options.rounds * (idleWindow / 1000 + allowance) + idleWindow / 1000);
  const requestsDb = path.join(dataDir, 'load-requests.db');
  fs.rmSync(requestsDb, { force: true });
  // The runs before (at saturation) settle first.
  await sleep(SETTLE_MS);
  // Who has the CPU meanwhile, for bench/timeline.py (bench/sched.py).
  const sampler = options.keepRequests
    ? spawn('python3', [path.join(root, 'bench', 'sched.py'), path.join(dataDir, 'sched.jsonl')], { stdio: 'ignore' })
    : null;
  const started = Date.now();
  const stream = ohaInBackground(urls, rate, total, requestsDb);
  const runs = [];
  const windows = [];
  const ended = [];
  const cache = { hits: 0, misses: 0, stale: 0, waited: 0 };
  for (;;) {
    await sleep(idleWindow);
    const expected = runs.length ? Math.max(...runs) : allowance * 1000 - SETTLE_MS;
    if (Date.now() - started + expected + SETTLE_MS > total * 1000) break;
    log(`load: a collection run at ${rate} requests/s`);
    const before = await cacheCounters(base);
    const from = Date.now() - started;
    runs.push(await collectOnce(url));
    ended.push(Date.now() - started);
    await sleep(SETTLE_MS);
    windows.push([from, Date.now() - started]);
    const after = await cacheCounters(base);
    for (const counter of Object.keys(cache)) cache[counter] += after[counter] - before[counter];
  }
  const whole = await stream;
  sampler?.kill();
  const requests = recordedRequests(requestsDb);
  if (options.keepRequests) {
    // For a look at when the slow requests fell (bench/timeline.py).
    fs.mkdirSync(options.keepRequests, { recursive: true });
    fs.copyFileSync(requestsDb, path.join(options.keepRequests, 'requests.db'));
    fs.renameSync(path.join(dataDir, 'sched.jsonl'), path.join(options.keepRequests, 'sched.jsonl'));
    const phases = windows.map(([from, to], i) => ({ from, ended: ended[i], to }));
    fs.writeFileSync(path.join(options.keepRequests, 'runs.json'),
      JSON.stringify({ rate, startedAt: started, phases }, null, 1));
  }
  fs.rmSync(requestsDb, { force: true });
  const writing = (due) => windows.some(([from, to]) => due >= from && due < to);
  const writingMs = windows.reduce((sum, [from, to]) => sum + to - from, 0);
  const fixedIdle = summary(requests.filter((r) => !writing(r.due)), total - writingMs / 1000, rate);
  const fixedDuring = summary(requests.filter((r) => writing(r.due)), writingMs / 1000, rate);
  fixedDuring.cache = cache;
  // Failed requests (no answer) are in oha's report only, for the stream.
  return { fixedIdle, fixedDuring, fixedRuns: runs, errors: whole.errors };
}

/**
 * `options.clients` connections on the mixed workload (cached server) for
 * `options.loadDuration` seconds, idle, then again while `reach collect`
 * runs back to back on the same database, each writing a snapshot of
 * every account. Errors of either kind (socket, non-2xx) must be zero; the
 * 99th percentile under writes is compared with the idle one.
 */
async function loadUnderWrites() {
  const size = options.main;
  const set = await dataSet(size);
  const { url, remove } = copyOf(set, size, 'load');
  // Where the runs write: the server's own data, or (--writes-elsewhere)
  // a copy of its own that the server never reads.
  const elsewhere = options.writesElsewhere ? copyOf(set, size, 'elsewhere') : null;
  const writesTo = elsewhere ? elsewhere.url : url;
  const mix = mixedPaths(size, path.join(dataDir, 'load-paths.txt'));
  const load = { connections: options.clients, threads: 2, paths: mix.file, duration: options.loadDuration };
  const server = await startServer(url, { cache: true });
  // The same mix as full URLs, shuffled (oha takes them in turn), for oha.
  const urls = path.join(dataDir, 'load-urls.txt');
  const lines = fs.readFileSync(mix.file, 'utf8').trim().split('\n');
  for (let i = lines.length - 1; i > 0; i--) {
    const j = (i * 2654435761) % (i + 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  fs.writeFileSync(urls, lines.map((p) => server.base + p).join('\n') + '\n');
  try {
    log(`load: ${options.clients} clients for ${options.loadDuration} s, idle`);
    const idle = await wrkInBackground(server.base, load);
    // A quarter of what the server answered at saturation: a rate it keeps
    // up with, so latency measures the server, not the queue.
    const rate = Math.max(1, Math.round(idle.rps / 4));
    log('load: the same while collections write');
    let writing = true;
    const runs = [];
    const collections = (async () => {
      while (writing) runs.push(await collectOnce(writesTo));
    })();
    const during = await wrkInBackground(server.base, load);
    writing = false;
    await collections;
    log(`load: ${rate} requests/s at a fixed rate, idle and writing in turn`);
    const fixed = await fixedRateAlternating(urls, rate, writesTo, server.base, runs);
    const all = runs.length + fixed.fixedRuns.length;
    // The runs as recorded where they wrote.
    const reader = elsewhere ? await startServer(writesTo, { cache: false }) : server;
    const recent = await getJson(`${reader.base}/api/runs?per_page=${Math.min(100, Math.max(1, all))}`);
    if (elsewhere) await stopServer(reader);
    const snapshots = recent.items.slice(0, all).reduce((sum, run) => sum + run.accounts_ok, 0);
    return { size, idle, during, ...fixed, runs, written: snapshots, postgres: options.postgres };
  } finally {
    await stopServer(server);
    remove();
    elsewhere?.remove();
  }
}

function loadReport(result) {
  const fixed = (us) => ms(us).toFixed(1);
  const errors = (f) => (f.errors ?? 0) + f.non_2xx;
  // The target is judged at the fixed rate; saturation is kept for reference.
  const ratio = result.fixedDuring.p99_us / result.fixedIdle.p99_us;
  const saturated = result.during.p99_us / result.idle.p99_us;
  const all = [result.idle, result.during, result.fixedIdle, result.fixedDuring];
  const failed = all.reduce((sum, f) => sum + errors(f), 0) + result.errors;
  const seconds = (s) => s.toFixed(0);
  const lines = [
    LOAD_BEGIN,
    '',
    '## Load under writes',
    '',
    `\`bench/bench.mjs --load --main ${result.size} --clients ${options.clients} --load-duration ${options.loadDuration} --rounds ${options.rounds}${result.postgres ? ' --postgres' : ''}${options.writesElsewhere ? ' --writes-elsewhere' : ''}${options.clientNice !== null ? ` --client-nice ${options.clientNice}` : ''}\`, ${new Date().toISOString().slice(0, 10)}, ${machine().join('; ')}. At saturation: ${options.clients} connections (wrk, 2 threads) on the mixed workload of a cached server over ${result.size.toLocaleString('en-US')} accounts for ${options.loadDuration} s: first idle, then while \`reach collect\` runs back to back on ${options.writesElsewhere ? 'another copy of the data set, which the server never reads (\`--writes-elsewhere\`: nothing for it to compute again; what is left is sharing the machine with a run)' : 'the same database'}, each writing a snapshot of every account at ${process.env.REACH_COLLECT_NICE ? `\`REACH_COLLECT_NICE=${process.env.REACH_COLLECT_NICE}\`` : 'the default CPU priority of collection (`REACH_COLLECT_NICE`)'} and ${process.env.REACH_COLLECT_DUTY ? `\`REACH_COLLECT_DUTY=${process.env.REACH_COLLECT_DUTY}\`` : 'the default duty of its database work (`REACH_COLLECT_DUTY`: it rests as long as each batch took)'} (${result.runs.length} runs, ${(result.runs.reduce((a, b) => a + b, 0) / Math.max(1, result.runs.length) / 1000).toFixed(2)} s a run on average; ${result.written.toLocaleString('en-US')} snapshots written by these runs and the fixed-rate ones). The per-address API rate limit is off (\`REACH_API_RATE_LIMIT=0\`): every connection comes from one address.`,
    '',
    `At a fixed rate: oha (\`-q ${result.fixedIdle.rate}\`, a quarter of the idle saturation throughput below, with latency correction: a request's time runs from when it was due${options.clientNice !== null ? `; at CPU priority ${options.clientNice}, \`--client-nice\`, so that the generator's own wait for a CPU is not timed as the server's` : ''}) on the same mix for ${seconds(result.fixedIdle.seconds + result.fixedDuring.seconds)} s, while idle windows of ${seconds(options.loadDuration / options.rounds)} s and whole collection runs alternate (${result.fixedRuns.length} runs, ${(result.fixedRuns.reduce((a, b) => a + b, 0) / Math.max(1, result.fixedRuns.length) / 1000).toFixed(2)} s a run on average), so that what else the shared machine does at a given moment weighs on both sides alike. oha records every request (\`--db-url\`); each counts on the side its due time fell on: while writing from a run's start until ${SETTLE_MS / 1000} s after its end (the answers the run made stale computed again meanwhile), idle otherwise (${seconds(result.fixedIdle.seconds)} s idle, ${seconds(result.fixedDuring.seconds)} s writing). On two cores the server, the collector and the load generator share the CPU: at saturation a writer must slow the readers down, at a rate the server keeps up with it need not.`,
    '',
    '| | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors |',
    '|---|---|---|---|---|---|---|',
    `| fixed rate, idle | ${result.fixedIdle.rps.toFixed(0)} | ${fixed(result.fixedIdle.p50_us)} | ${fixed(result.fixedIdle.p95_us)} | ${fixed(result.fixedIdle.p99_us)} | ${fixed(result.fixedIdle.max_us)} | ${errors(result.fixedIdle)} |`,
    `| fixed rate, while writing | ${result.fixedDuring.rps.toFixed(0)} | ${fixed(result.fixedDuring.p50_us)} | ${fixed(result.fixedDuring.p95_us)} | ${fixed(result.fixedDuring.p99_us)} | ${fixed(result.fixedDuring.max_us)} | ${errors(result.fixedDuring)} |`,
    `| saturated, idle | ${result.idle.rps.toFixed(0)} | ${fixed(result.idle.p50_us)} | | ${fixed(result.idle.p99_us)} | ${fixed(result.idle.max_us)} | ${errors(result.idle)} |`,
    `| saturated, while writing | ${result.during.rps.toFixed(0)} | ${fixed(result.during.p50_us)} | | ${fixed(result.during.p99_us)} | ${fixed(result.during.max_us)} | ${errors(result.during)} |`,
    '',
    `Requests of the fixed-rate stream that failed without an answer: ${result.errors} (the errors column counts answers that were not 2xx).`,
    '',
    `At the fixed rate while writing, the cache answered ${result.fixedDuring.cache.hits.toLocaleString('en-US')} reads from memory, ${result.fixedDuring.cache.stale.toLocaleString('en-US')} of them with the answer from before a run's write while its successor was computed in the background (\`stale_hits\`), and computed ${result.fixedDuring.cache.misses.toLocaleString('en-US')}, for ${result.fixedDuring.cache.waited.toLocaleString('en-US')} of which a request waited (\`waited\`).`,
    '',
    `Zero errors: ${failed === 0 ? 'met' : '**not met**'}. p99 while writing within twice idle, at the fixed rate: ${ratio.toFixed(2)}× — ${ratio <= 2 ? 'met' : '**not met**'} (saturated: ${saturated.toFixed(2)}×).`,
    '',
    LOAD_END,
  ];
  return { text: lines.join('\n'), errors: failed, ratio };
}

/** Puts the load block in `file`, replacing the previous one. */
function writeLoadBlock(file, block) {
  const previous = readIfExists(file) ?? '';
  const start = previous.indexOf(LOAD_BEGIN);
  const end = previous.indexOf(LOAD_END);
  const next = start >= 0 && end > start
    ? previous.slice(0, start) + block + previous.slice(end + LOAD_END.length)
    : `${previous.trimEnd()}\n\n${block}`;
  fs.writeFileSync(file, `${next.trimEnd()}\n`);
}

// ---------------------------------------------------------------------------
// The dashboard in Chromium

async function frontend(base) {
  const require = createRequire(path.join(root, 'end2end/package.json'));
  const { chromium } = require('@playwright/test');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const samples = [];
  try {
    // The first load compiles the WASM into Chromium's code cache too:
    // measured cold, in a fresh context each time, after one unmeasured load.
    for (let i = 0; i < 6; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      // The moment hydration marks <body>, not when a poll notices it.
      await context.addInitScript(() => {
        new MutationObserver(() => {
          if (document.body?.dataset.hydrated === 'true' && window.hydratedAt === undefined) {
            window.hydratedAt = performance.now();
          }
        }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
      });
      const page = await context.newPage();
      const client = await context.newCDPSession(page);
      await client.send('Network.enable');
      let bytes = 0;
      const urls = [];
      // Requests under way, but the live updates' stream, which never ends
      // (so Playwright's 'networkidle' would never come).
      const inflight = new Set();
      let quietSince = performance.now();
      const settled = (event) => {
        if (inflight.delete(event.requestId) && inflight.size === 0) quietSince = performance.now();
      };
      client.on('Network.loadingFinished', (event) => { bytes += event.encodedDataLength; settled(event); });
      client.on('Network.loadingFailed', settled);
      client.on('Network.requestWillBeSent', (event) => {
        urls.push(event.request.url);
        if (!event.request.url.endsWith('/api/live')) inflight.add(event.requestId);
      });
      await page.goto(`${base}/accounts`);
      await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
      const interactive = await page.evaluate(() => window.hydratedAt);
      // Quiet for 500 ms, as 'networkidle' means, the stream aside.
      const deadline = performance.now() + 30_000;
      while (inflight.size > 0 || performance.now() - quietSince < 500) {
        if (performance.now() > deadline) throw new Error('the page never went quiet');
        await new Promise((done) => setTimeout(done, 50));
      }
      const fcp = await page.evaluate(() =>
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      const rows = await page.locator('table tbody tr').count();
      if (i > 0) samples.push({ fcp, interactive, bytes, rows, echarts: urls.some((u) => u.includes('echarts')) });
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const median = (f) => {
    const values = samples.map(f).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  return {
    fcp: median((s) => s.fcp),
    interactive: median((s) => s.interactive),
    bytes: median((s) => s.bytes),
    rows: samples[0].rows,
    echarts: samples.some((s) => s.echarts),
  };
}

// ---------------------------------------------------------------------------
// Report

function machine() {
  const cpu = os.cpus();
  const release = readIfExists('/etc/os-release')?.match(/PRETTY_NAME="(.*)"/)?.[1] ?? os.type();
  // wrk prints its version with its usage, and exits with 1.
  const version = (cmd, args) => {
    const out = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n').find((l) => /\d/.test(l))?.trim() ?? 'unknown';
  };
  return [
    `${cpu.length} × ${cpu[0].model.trim()}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB memory, ${release}, Linux ${os.release()}`,
    `${version(reach, ['--version'])}, release build (\`cargo leptos build --release\`); ${version('rustc', ['--version'])}`,
    `${version('wrk', ['-v'])}; ${version('oha', ['--version'])}; ${version(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'])}`,
    `database: ${options.postgres ? `PostgreSQL ${psql('SHOW server_version')}` : `SQLite (bundled with sqlx), file on ${fsType(dataDir)}`}`,
  ];
}

function fsType(dir) {
  try { return execFileSync('df', ['-hT', dir], { encoding: 'utf8' }).split('\n')[1].split(/\s+/)[1]; } catch { return 'disk'; }
}

const fmtMs = (us) => (us >= 10_000 ? ms(us).toFixed(0) : ms(us).toFixed(2));
const fmtRps = (rps) => Math.round(rps).toLocaleString('en-US');
const check = (ok) => (ok ? 'met' : '**not met**');

function report(results) {
  const { main, sizes, sets, table, scaling, mix, writes, web, healthz } = results;
  const out = [];
  const w = (line = '') => out.push(line);
  const database = options.postgres ? 'PostgreSQL' : 'SQLite';
  w('# Benchmark results');
  w();
  w(`Generated by \`bench/run.sh${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Do not edit above the notes: run it again.`);
  w();
  w('## Machine');
  w();
  for (const line of machine()) w(`- ${line}`);
  w(`- load generators on the same machine: latency runs oha, 1 connection (requests back to back: the time one request takes, on a monotonic clock); throughput runs wrk, one thread, ${CONNECTIONS} connections; ${options.duration} s per run`);
  w();
  w('## Data sets');
  w();
  const settled = options.postgres ? 'a `CHECKPOINT`, then `sync`' : '`sync`, then its file read once into the page cache';
  w(`\`reach seed --accounts N --days 365\`: N accounts over all nine platforms (one in ten core, eight tags spread, five brands), a daily snapshot for each of 365 days ending today, and a finished run per day. The same N always gives the same accounts and counters. Before a size's reads are timed, its set is settled (${settled}: \`settle\` in \`bench/bench.mjs\`), so that the seed's write-back is not timed as a read.`);
  w();
  w('| accounts | snapshots | database size | seeded in |');
  w('|---:|---:|---:|---:|');
  for (const size of sizes) {
    const set = sets[size];
    const file = set.file ? `${(fs.statSync(set.file).size / MiB).toFixed(0)} MiB` : 'PostgreSQL';
    w(`| ${size.toLocaleString('en-US')} | ${set.snapshots.toLocaleString('en-US')} | ${file} | ${set.seeded === null ? '(reused)' : `${set.seeded.toFixed(0)} s`} |`);
  }
  w();
  w(`## Read endpoints: ${main.toLocaleString('en-US')} accounts, ${database}`);
  w();
  w('Uncached: the server started with `--no-cache` (every request reads the database). Cached: the default in-process cache, warmed by one request. Latency from the 1-connection run; throughput (requests/s) and the p99 under saturation from the 16-connection run. "of /healthz": cached throughput against the same server\'s `/healthz` in the same run.');
  w();
  w('| endpoint | uncached p50 ms | uncached p99 ms | uncached req/s | cached p50 ms | cached p99 ms | cached req/s | of /healthz | cached p99 ms at 16 conn. | statements/request (uncached) |');
  w('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  w(`| \`/healthz\` | ${fmtMs(healthz.uncached.latency.p50_us)} | ${fmtMs(healthz.uncached.latency.p99_us)} | ${fmtRps(healthz.uncached.throughput.rps)} | ${fmtMs(healthz.cached.latency.p50_us)} | ${fmtMs(healthz.cached.latency.p99_us)} | ${fmtRps(healthz.cached.throughput.rps)} | 100% | ${fmtMs(healthz.cached.throughput.p99_us)} | 0 |`);
  for (const row of table) {
    const share = row.cached.throughput.rps / healthz.cached.throughput.rps;
    w(`| ${row.name} \`${row.path}\` | ${fmtMs(row.uncached.latency.p50_us)} | ${fmtMs(row.uncached.latency.p99_us)} | ${fmtRps(row.uncached.throughput.rps)} | ${fmtMs(row.cached.latency.p50_us)} | ${fmtMs(row.cached.latency.p99_us)} | ${fmtRps(row.cached.throughput.rps)} | ${(share * 100).toFixed(0)}% | ${fmtMs(row.cached.throughput.p99_us)} | ${row.statements.toFixed(1)} |`);
  }
  w();
  w(`Peak server memory (VmHWM): ${(results.memory.uncached / MiB).toFixed(0)} MiB uncached, ${(results.memory.cached / MiB).toFixed(0)} MiB cached (after every run above and the mixed workload).`);
  w();
  w('### Mixed workload and cache hit rate');
  w();
  w(`A fresh cached server under ${CONNECTIONS} connections for ${options.duration * 4} s, each request drawn at random (seeded) from ${mix.weighted.toLocaleString('en-US')} weighted lines over ${mix.distinct.toLocaleString('en-US')} distinct requests: the overview, the first five pages of the accounts table and some sorts and filters, the leaderboard, the runs, and the pages of 500 accounts whose popularity falls as 1/rank (account and its 90-day history; the 50 most viewed also a year of history). Built by \`mixedPaths\` in \`bench/bench.mjs\`.`);
  w();
  w(`- ${fmtRps(mix.load.rps)} requests/s, p50 ${fmtMs(mix.load.p50_us)} ms, p99 ${fmtMs(mix.load.p99_us)} ms, ${mix.load.errors + mix.load.non_2xx} errors`);
  w(`- cache: ${mix.hits.toLocaleString('en-US')} hits, ${mix.misses.toLocaleString('en-US')} misses: **${(mix.hitRate * 100).toFixed(1)}%** hit rate`);
  w(`- server memory during it: ${(mix.memory.rss / MiB).toFixed(0)} MiB resident, ${(mix.memory.peak / MiB).toFixed(0)} MiB at its peak`);
  w();
  w(`## Scaling: ${sizes.map((s) => s.toLocaleString('en-US')).join(' / ')} accounts, uncached, ${database}`);
  w();
  w('p50 / p99 in ms (1 connection), and the statements each request ran: the same count at every size means no query per row (no N+1).');
  w();
  w(`| endpoint | ${sizes.map((s) => `${s.toLocaleString('en-US')}: p50 / p99`).join(' | ')} | statements |`);
  w(`|---|${sizes.map(() => '---:').join('|')}|---:|`);
  for (const name of Object.keys(scaling[sizes[0]])) {
    const cells = sizes.map((s) => {
      const r = scaling[s][name];
      return r ? `${fmtMs(r.latency.p50_us)} / ${fmtMs(r.latency.p99_us)}` : '—';
    });
    const counts = [...new Set(sizes.map((s) => scaling[s][name]?.statements.toFixed(1)))].join(' / ');
    w(`| ${name} | ${cells.join(' | ')} | ${counts} |`);
  }
  w();
  w(`## Writes: a collection run of ${main.toLocaleString('en-US')} accounts, ${database}`);
  w();
  w('`reach collect` on a copy of the data set: every account is due, and every account is simulated, so the run measures Reach\'s own work (claiming, the writer\'s batched transactions: snapshot, latest counters and changes, run result) and not a platform. First alone on the machine and without rests (`REACH_COLLECT_DUTY=100`); then on a fresh copy while the mixed workload reads (uncached, 4 connections), where the collector runs as configured: at its lower CPU priority (`REACH_COLLECT_NICE`) and resting between its batches (`REACH_COLLECT_DUTY`), so it yields the CPU to the readers.');
  w();
  w(`- alone: ${writes.solo.run.accounts_ok.toLocaleString('en-US')} accounts stored in **${(writes.solo.run.duration_ms / 1000).toFixed(2)} s** (the run's own duration); the command took ${(writes.solo.wall / 1000).toFixed(2)} s from start to exit (start-up, and after the run: event detection, the kept leaderboards, compaction)`);
  w(`- beside reads: ${writes.run.accounts_ok.toLocaleString('en-US')} accounts stored in ${(writes.run.duration_ms / 1000).toFixed(2)} s; the command took ${(writes.wall / 1000).toFixed(2)} s`);
  w(`- reads before: p50 ${fmtMs(writes.idle.p50_us)} ms, p99 ${fmtMs(writes.idle.p99_us)} ms, ${fmtRps(writes.idle.rps)} req/s, ${writes.idle.errors + writes.idle.non_2xx} errors`);
  w(`- reads during: p50 ${fmtMs(writes.during.p50_us)} ms, p99 ${fmtMs(writes.during.p99_us)} ms, ${fmtRps(writes.during.rps)} req/s, ${writes.during.errors + writes.during.non_2xx} errors`);
  w();
  w(`## The dashboard in Chromium: \`/accounts\`, ${main.toLocaleString('en-US')} accounts`);
  w();
  w('Headless Chromium on localhost, a fresh browser context each time (no HTTP cache), median of five loads after one unmeasured: first contentful paint, the moment the WASM has hydrated the table (`data-hydrated` on `<body>`), and the bytes on the wire (compressed, headers included) until the network is idle.');
  w();
  w(`- first contentful paint: **${web.fcp.toFixed(0)} ms**`);
  w(`- interactive (hydrated): **${web.interactive.toFixed(0)} ms**`);
  w(`- transferred: **${(web.bytes / 1024).toFixed(0)} KB** (${web.rows} table rows; ECharts ${web.echarts ? 'loaded' : 'not loaded'})`);
  w();
  w('## Targets');
  w();
  const reads = table;
  const worst = (f) => reads.reduce((a, r) => (f(r) > f(a) ? r : a));
  const p99u = worst((r) => r.uncached.latency.p99_us);
  const p50u = worst((r) => r.uncached.latency.p50_us);
  const p99c = worst((r) => r.cached.latency.p99_us);
  const share = (r) => r.cached.throughput.rps / healthz.cached.throughput.rps;
  const cachedReads = reads.filter((r) => !r.live);
  const lowest = cachedReads.reduce((a, r) => (share(r) < share(a) ? r : a));
  const peak = Math.max(results.memory.cached, results.memory.uncached);
  const flat = (name) => {
    const values = sizes.map((s) => scaling[s][name]?.latency.p50_us ?? 0);
    return values[values.length - 1] / Math.max(values[0], 1);
  };
  const rows = [
    ['uncached p99 ≤ 25 ms, every read endpoint', `worst ${fmtMs(p99u.uncached.latency.p99_us)} ms (${p99u.name})`, p99u.uncached.latency.p99_us <= 25_000],
    ['uncached p50 ≤ 5 ms, every read endpoint', `worst ${fmtMs(p50u.uncached.latency.p50_us)} ms (${p50u.name})`, p50u.uncached.latency.p50_us <= 5_000],
    ['cached p99 ≤ 2 ms', `worst ${fmtMs(p99c.cached.latency.p99_us)} ms (${p99c.name})`, p99c.cached.latency.p99_us <= 2_000],
    ['cached throughput ≥ 40% of /healthz, every cached endpoint', `lowest ${(share(lowest) * 100).toFixed(0)}% (${lowest.name})`, share(lowest) >= 0.4],
    ['server RSS under load ≤ 200 MB', `${(peak / 1e6).toFixed(0)} MB at its peak`, peak <= 200e6],
    ['cache hit rate ≥ 95%, mixed workload', `${(mix.hitRate * 100).toFixed(1)}%`, mix.hitRate >= 0.95],
    [`history latency flat from ${sizes[0].toLocaleString('en-US')} to ${sizes[sizes.length - 1].toLocaleString('en-US')} accounts`, `p50 × ${flat('history 1y').toFixed(1)}`, flat('history 1y') <= 2],
    [`list, overview, leaderboard grow far less than the data (× ${sizes[sizes.length - 1] / sizes[0]})`,
      `p50 × ${flat('accounts (followers ↓)').toFixed(1)} (accounts), × ${flat('overview').toFixed(1)} (overview), × ${flat('leaderboard').toFixed(1)} (leaderboard)`,
      Math.max(flat('accounts (followers ↓)'), flat('overview'), flat('leaderboard')) <= sizes[sizes.length - 1] / sizes[0] / 10],
    ['a run of 10,000 snapshots ≤ 1 s (alone)', `${(writes.solo.run.duration_ms / 1000).toFixed(2)} s for ${writes.solo.run.accounts_ok.toLocaleString('en-US')}`, writes.solo.run.duration_ms <= 1000],
    ['reads keep their latency during the run', `p99 ${fmtMs(writes.idle.p99_us)} → ${fmtMs(writes.during.p99_us)} ms, ${writes.during.errors + writes.during.non_2xx} errors`, writes.during.p99_us <= 2 * writes.idle.p99_us && writes.during.errors + writes.during.non_2xx === 0],
    ['first contentful paint ≤ 300 ms', `${web.fcp.toFixed(0)} ms`, web.fcp <= 300],
    ['interactive ≤ 1 s', `${web.interactive.toFixed(0)} ms`, web.interactive <= 1000],
    ['first view ≤ 400 KB compressed, without ECharts', `${(web.bytes / 1024).toFixed(0)} KB${web.echarts ? ' (ECharts loaded!)' : ''}`, web.bytes <= 400 * 1024 && !web.echarts],
  ];
  w('| target | measured | |');
  w('|---|---|---|');
  for (const [target, measured, ok] of rows) w(`| ${target} | ${measured} | ${check(ok)} |`);
  w();
  return out.join('\n');
}

// ---------------------------------------------------------------------------

async function main() {
  if (options.load) {
    fs.mkdirSync(dataDir, { recursive: true });
    const result = await loadUnderWrites();
    fs.writeFileSync(path.join(dataDir, 'load.json'), JSON.stringify(result, null, 1));
    const { text, errors, ratio } = loadReport(result);
    writeLoadBlock(options.output, text);
    log(`wrote the load block of ${path.relative(root, options.output)}: ${errors} errors, p99 ${ratio.toFixed(2)}× idle`);
    if (errors > 0) throw new Error(`${errors} failed requests under load`);
    return;
  }
  log(`sizes ${options.sizes.join(', ')}; main ${options.main}; ${options.duration} s per run; ${options.postgres ? 'PostgreSQL' : 'SQLite'}`);
  const results = { main: options.main, sizes: options.sizes, sets: {}, scaling: {} };
  for (const size of options.sizes) {
    const set = await dataSet(size);
    results.sets[size] = set;
    if (options.seedOnly) log(`${size}: ${set.seeded === null ? 'reused' : `seeded in ${set.seeded.toFixed(0)} s`}`);
  }
  if (options.seedOnly) return;

  // Every size, uncached: the scaling table.
  for (const size of options.sizes) {
    const set = results.sets[size];
    settle(set);
    const server = await startServer(set.url, { cache: false });
    try {
      set.snapshots = (await getJson(`${server.base}/api/overview`)).snapshots;
      const { list } = await endpoints(server.base);
      const rows = {};
      for (const endpoint of list) {
        log(`${size}: ${endpoint.name}`);
        const statements = await statementsPerRequest(server.base, endpoint);
        if (size === options.main) {
          rows[endpoint.name] = { ...endpoint, statements, uncached: measure(server.base, endpoint) };
          rows[endpoint.name].latency = rows[endpoint.name].uncached.latency;
        } else {
          rows[endpoint.name] = { ...endpoint, statements, latency: latencyRun(server.base + endpoint.path) };
        }
      }
      if (size === options.main) {
        results.healthz = { uncached: measure(server.base, { path: '/healthz' }) };
        results.table = Object.values(rows);
        results.memory = { uncached: memory(server.pid).peak };
      }
      results.scaling[size] = rows;
    } finally {
      await stopServer(server);
    }
  }

  const mainSet = results.sets[options.main];
  const mix = mixedPaths(options.main, path.join(dataDir, 'mixed-paths.txt'));

  // The main size, cached.
  {
    const server = await startServer(mainSet.url, { cache: true });
    try {
      results.healthz.cached = measure(server.base, { path: '/healthz' });
      for (const row of results.table) {
        log(`cached: ${row.name}`);
        await (await fetch(server.base + row.path)).arrayBuffer();
        row.cached = measure(server.base, row);
      }
      log('frontend');
      results.web = await frontend(server.base);
    } finally {
      await stopServer(server);
    }
  }

  // The mixed workload, on a fresh cached server.
  {
    const server = await startServer(mainSet.url, { cache: true });
    try {
      log('mixed workload');
      const before = await cacheCounters(server.base);
      const load = wrk(server.base, { connections: CONNECTIONS, paths: mix.file, duration: options.duration * 4 });
      const after = await cacheCounters(server.base);
      const hits = after.hits - before.hits;
      const misses = after.misses - before.misses;
      results.mix = { ...mix, load, hits, misses, hitRate: hits / Math.max(1, hits + misses), memory: memory(server.pid) };
      results.memory.cached = memory(server.pid).peak;
    } finally {
      await stopServer(server);
    }
  }

  log('writes');
  results.writes = await writeBenchmark(mainSet, options.main, mix.file);

  // The raw figures, for comparing runs.
  fs.writeFileSync(path.join(dataDir, 'results.json'), JSON.stringify(results, null, 1));
  const generated = report(results);
  const previous = readIfExists(options.output);
  const notes = previous?.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
  fs.writeFileSync(options.output, `${generated}\n${notes.trimEnd()}\n`);
  log(`wrote ${path.relative(root, options.output)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
