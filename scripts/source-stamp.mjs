/**
 * The newest modification time among the sources that go into dist/ (src/, tests excluded). bin/spool.js compares
 * it with dist/build-info.json at every start (a few milliseconds for ~200 files) to decide between the compiled
 * bundle and the TypeScript sources.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function newestSource(root) {
  let newest = 0;
  const walk = (dir) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (!d.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  return newest;
}
