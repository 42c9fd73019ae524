// The read endpoints the benchmark measures, shared by bench.mjs and once.mjs.
import { fetch } from './net.mjs';

export async function getJson(url) {
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`${url}: ${answer.status} ${await answer.text()}`);
  return answer.json();
}

/** The read endpoints measured, on a data set whose first accounts are known. */
export async function endpoints(base) {
  const accounts = await getJson(`${base}/api/accounts?sort=followers&per_page=3&core=true`);
  const ids = accounts.items.map((a) => a.id);
  const id = ids[0];
  const run = (await getJson(`${base}/api/runs?per_page=1`)).items[0].id;
  const list = [
    ['overview', '/api/overview'],
    ['accounts (followers ↓)', '/api/accounts'],
  ];
  for (const sort of ['handle', 'platform', 'following', 'posts', 'views', 'likes',
    'change_7d', 'change_30d', 'last_collected']) {
    list.push([`accounts sort=${sort}`, `/api/accounts?sort=${sort}`]);
  }
  list.push(
    ['accounts followers ↑', '/api/accounts?sort=followers&dir=asc'],
    ['accounts platform=github', '/api/accounts?platform=github'],
    ['accounts core=true', '/api/accounts?core=true'],
    ['accounts tag=music', '/api/accounts?tag=music'],
    ['accounts q=fox', '/api/accounts?q=fox'],
    ['accounts page 40', '/api/accounts?page=40'],
    ['account', `/api/account?id=${id}`],
    ['history 30d', `/api/history?id=${id}&range=30d`],
    ['history 1y', `/api/history?id=${id}&range=1y`],
    ['history all', `/api/history?id=${id}&range=all`],
    ['leaderboard', '/api/leaderboard'],
    ['leaderboard 7d % youtube', '/api/leaderboard?by=percent&days=7&platform=youtube'],
    ['compare (3, 1y)', `/api/compare?ids=${ids.join(',')}&range=1y`],
    ['growth', `/api/growth?id=${id}`],
    ['projection', `/api/projection?id=${id}`],
    ['rollups 1y', `/api/rollups?id=${id}&metric=followers&range=1y`],
    ['tags', '/api/tags'],
    ['brands', '/api/brands'],
    ['events', '/api/events'],
    ['events kind=milestone', '/api/events?kind=milestone'],
    ['events of an account', `/api/events?account_id=${id}`],
    ['runs', '/api/runs'],
    ['run', `/api/run?id=${run}`],
    ['instances', '/api/instances'],
    ['platforms', '/api/platforms'],
    ['performance', '/api/performance'],
  );
  // Answered live on every request, by design (the instances' heartbeats
  // as of now on the database's clock, the platforms' budgets as spent
  // now, the server's own figures): the cached-throughput target is not
  // theirs.
  const live = new Set(['instances', 'platforms', 'performance']);
  return { ids, list: list.map(([name, path]) => ({ name, path, live: live.has(name) })) };
}

