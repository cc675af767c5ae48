/// <reference types="vitest/config" />
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// The API serves dist/ itself in production. During `npm run dev`, /api is proxied to a
// running API (API_URL, default http://127.0.0.1:5077) so that cookies stay same-origin.
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:5077';

/**
 * Each script, stylesheet and page of the build also as `.br` and `.gz` beside it, compressed
 * once at the highest levels, which the API sends to a browser that accepts them (tower-http's
 * `precompressed_br`, `precompressed_gzip`). Compressing on the fly, it would use brotli's
 * quality 4, which is about gzip's size; at 11 the first script is 14% smaller than gzipped.
 */
function precompressed(): Plugin {
  return {
    name: 'precompressed',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(file.fileName)) continue;
        const bytes = file.type === 'chunk' ? Buffer.from(file.code) : Buffer.from(file.source);
        if (bytes.length < 1024) continue;
        const br = brotliCompressSync(bytes, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
        });
        this.emitFile({ type: 'asset', fileName: `${file.fileName}.br`, source: br });
        this.emitFile({ type: 'asset', fileName: `${file.fileName}.gz`, source: gzipSync(bytes, { level: 9 }) });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), precompressed()],
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
  },
});
