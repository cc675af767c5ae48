/// <reference types="vitest/config" />
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';

// The API serves dist/ itself in production. During `npm run dev`, /api is proxied to a
// running API (API_URL, default http://127.0.0.1:5077) so that cookies stay same-origin.
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:5077';

/**
 * Each script, stylesheet and page of the build also as `.br` and `.gz` beside it, compressed
 * once at the highest levels, which the API sends to a browser that accepts them (tower-http's
 * `precompressed_br`, `precompressed_gzip`). Compressing on the fly, it would use brotli's
 * quality 4, which is about gzip's size; at 11 the first script is 14% smaller than gzipped.
 * From the files as written: Vite finishes a script's code (its preload lists) in its own
 * last hooks, after a plugin's `generateBundle` has seen it.
 */
function precompressed(): Plugin {
  return {
    name: 'precompressed',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(name)) continue;
        const file = path.join(options.dir!, name);
        const bytes = readFileSync(file);
        if (bytes.length < 1024) continue;
        const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
        writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params }));
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

// The pages are written against React's API and rendered by Preact (`preact/compat`, which the
// preset puts in place of react and react-dom, with Preact's own hot reload and devtools): React
// DOM was two thirds of the first script, and the sign-in page on a slow phone network waited
// for it (BENCHMARKS.md, "seventh session"). The tests render with Preact too.
export default defineConfig({
  plugins: [preact(), precompressed()],
  server: {
    port: 5173,
    proxy: { '/api': { target: apiUrl, changeOrigin: false } },
  },
  preview: {
    proxy: { '/api': { target: apiUrl, changeOrigin: false } },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    // Node would load these packages' CommonJS builds, which require React itself; Vite loads
    // their ES modules instead, through the preset's aliases.
    server: { deps: { inline: [/@testing-library\/react/, /react-router/, /@tanstack\/react-query/] } },
    alias: [
      { find: /^@testing-library\/react$/, replacement: '@testing-library/react/dist/@testing-library/react.esm.js' },
      { find: /^react-router$/, replacement: path.resolve(import.meta.dirname, 'node_modules/react-router/dist/development/index.mjs') },
    ],
  },
});
