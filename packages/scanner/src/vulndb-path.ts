// Where the vulnerability database lives inside the cache directory.

import path from 'node:path';

export function vulnDbPath(cacheDir: string): string {
  return path.join(cacheDir, 'db', 'osv.sqlite');
}
