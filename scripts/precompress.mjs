// Writes a brotli (quality 11) and a gzip (level 9) copy beside every
// built asset of a site (`<file>.br`, `<file>.gz`), which the server sends
// as they are to browsers that accept them (tower-http's ServeDir): the
// smallest answers, and no compression work per request.
//   node scripts/precompress.mjs target/site
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const root = process.argv[2] ?? 'target/site';
const compressible = /\.(wasm|js|mjs|css|json|svg|html|txt)$/;
let files = 0;
let before = 0;
let after = 0;

for (const dir of ['pkg', 'vendor']) {
  const path = join(root, dir);
  if (!existsSync(path)) continue;
  for (const name of readdirSync(path)) {
    const file = join(path, name);
    if (!compressible.test(name) || !statSync(file).isFile()) continue;
    const modified = statSync(file).mtimeMs;
    const fresh = (copy) => existsSync(copy) && statSync(copy).mtimeMs >= modified;
    if (fresh(`${file}.br`) && fresh(`${file}.gz`)) continue;
    const data = readFileSync(file);
    const br = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    const gz = gzipSync(data, { level: 9 });
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gz);
    files += 1;
    before += data.length;
    after += br.length;
  }
}
console.log(`precompressed ${files} files: ${(before / 1000).toFixed(1)} KB, ${(after / 1000).toFixed(1)} KB as brotli`);
