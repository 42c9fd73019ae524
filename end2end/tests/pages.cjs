// Every page of the dashboard, by name, with the demo data's ids filled in:
// shared by the Playwright tests and bench/lighthouse.mjs.
// `getJson(path)` answers the API's JSON for a path.
async function everyPage(getJson) {
  const top = await getJson('/api/accounts?per_page=2');
  const runs = await getJson('/api/runs?per_page=1');
  const brands = await getJson('/api/brands');
  return [
    ['overview', '/'],
    ['accounts', '/accounts'],
    ['account', `/accounts/${top.items[0].id}`],
    ['leaderboard', '/leaderboard'],
    ['brands', '/brands'],
    ['brand', `/brands/${brands[0].id}`],
    ['compare', `/compare?ids=${top.items[0].id},${top.items[1].id}&mode=indexed`],
    ['runs', '/runs'],
    ['run', `/runs/${runs.items[0].id}`],
    ['performance', '/performance'],
    ['login', '/login'],
  ];
}

module.exports = { everyPage };
