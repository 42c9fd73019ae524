#!/usr/bin/env bash
# What a browser downloads, from the last release build (scripts/build.sh):
# the README's "Download size" tables.
#  1. Each page's bytes on the wire until it is interactive (Playwright in
#     Chromium, the demo data; end2end/tests/weight.spec.ts, which also
#     fails above the budget of 250 KB a page).
#  2. Each built file: raw, and as sent (the brotli copy made at build).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
pages=$(mktemp)
(cd end2end && REACH_BIN="$target_dir/release/reach" REACH_SIZES_OUT="$pages" \
  npx playwright test weight.spec.ts >/dev/null)
cat "$pages"
rm -f "$pages"
echo
site=target/site
node - "$site" <<'JS'
// Files of 20 KB and more one by one, the smaller chunks summed.
const fs = require('fs'), path = require('path');
const site = process.argv[2];
const kb = (n) => (n / 1000).toFixed(1);
const rows = [];
const small = { files: 0, raw: 0, sent: 0 };
for (const dir of ['pkg', 'vendor']) {
  for (const name of fs.readdirSync(path.join(site, dir)).sort()) {
    if (!/\.(wasm|js|css)$/.test(name)) continue;
    const file = path.join(site, dir, name);
    const raw = fs.statSync(file).size;
    const sent = fs.existsSync(`${file}.br`) ? fs.statSync(`${file}.br`).size : raw;
    if (raw >= 20000 || !name.startsWith('chunk_')) rows.push(`| \`${dir}/${name}\` | ${kb(raw)} KB | ${kb(sent)} KB |`);
    else { small.files += 1; small.raw += raw; small.sent += sent; }
  }
}
console.log('| file | raw | brotli (as sent) |');
console.log('|---|---:|---:|');
for (const row of rows) console.log(row);
console.log(`| ${small.files} smaller chunks (\`pkg/chunk_*.wasm\`) | ${kb(small.raw)} KB | ${kb(small.sent)} KB |`);
JS
