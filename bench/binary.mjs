// Which reach binary the benchmarks run: REACH_BIN, or the release build in
// cargo's target directory as cargo itself resolves it (CARGO_TARGET_DIR,
// .cargo/config.toml), so that a build elsewhere is never measured stale.

import { execFileSync } from 'node:child_process';
import path from 'node:path';

export function reachBinary(root) {
  if (process.env.REACH_BIN) return process.env.REACH_BIN;
  const metadata = execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return path.join(JSON.parse(metadata).target_directory, 'release', 'reach');
}
