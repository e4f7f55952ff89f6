import { defineConfig } from 'tsup';

// One self-contained `palisade` bin: workspace packages are bundled from source, native and
// data-heavy dependencies stay external and are loaded from node_modules.
export default defineConfig({
  entry: { palisade: 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: false,
  sourcemap: true,
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __palisadeRequire } from "node:module"; const require = __palisadeRequire(import.meta.url);',
  },
  noExternal: [/^@palisade\//],
  external: ['better-sqlite3'],
  esbuildOptions(options) {
    options.conditions = ['source'];
  },
});
