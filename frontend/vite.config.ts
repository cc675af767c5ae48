/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The API serves dist/ itself in production. During `npm run dev`, /api is proxied to a
// running API (API_URL, default http://127.0.0.1:5077) so that cookies stay same-origin.
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:5077';

export default defineConfig({
  plugins: [react()],
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
