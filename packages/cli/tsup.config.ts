import { defineConfig } from 'tsup';

// One `palisade` bin: the workspace packages are bundled from source into it; third-party
// packages stay external and load from node_modules (several locate files beside themselves —
// native addons, Swagger UI assets — which bundling would break).
export default defineConfig({
  entry: { palisade: 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  // tsc writes its output into dist/ too, so tsup must not clean it; the bundle script removes
  // stale lazy chunks (dist/chunks/) itself.
  clean: false,
  sourcemap: true,
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __palisadeRequire } from "node:module"; const require = __palisadeRequire(import.meta.url);',
  },
  // Pure-data JSON packages are inlined: Node 20 cannot import JSON from ESM without attributes.
  noExternal: [/^@palisade\//, 'spdx-license-ids'],
  external: [/^(?!@palisade\/|spdx-license-ids)(@[^/]+\/)?[^./][^/]*/],
  esbuildOptions(options) {
    options.conditions = ['source'];
    // Lazily loaded command groups (program.ts) and their shared code, apart from tsc's output.
    options.chunkNames = 'chunks/[name]-[hash]';
  },
});
