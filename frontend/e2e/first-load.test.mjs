// The first page on a slow phone network: the sign-in page, loaded cold through Chromium's
// network emulation (Lighthouse's "slow 4G": 150 ms round trips, 1.6 Mbit/s down, 750 kbit/s
// up), until its form can be used. Reports the time and the bytes sent; the figures go in
// BENCHMARKS.md (timing goals belong in benchmarks, not in tests: this checks only that the
// page works under emulation and that its script came compressed and cacheable).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { launchBrowser } from './support/browser.mjs';
import { FRONTEND_DIR, startSystem } from './support/system.mjs';

let system;
let browser;

before(async () => {
  system = await startSystem();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await system?.stop();
});

const SLOW_4G = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };

async function coldLoad() {
  const context = await browser.newContext({ baseURL: system.baseUrl });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  let bytes = 0;
  const scripts = [];
  cdp.on('Network.loadingFinished', (e) => (bytes += e.encodedDataLength));
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') scripts.push(r);
  });
  const started = Date.now();
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  const usable = Date.now() - started;
  const headers = await Promise.all(scripts.map((r) => r.allHeaders()));
  await context.close();
  return { usable, bytes, headers };
}

test('the sign-in page on emulated slow 4G: usable, its script compressed and cacheable', { timeout: 120_000 }, async () => {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await coldLoad());
  const times = runs.map((r) => r.usable).sort((a, b) => a - b);
  console.log(
    `first load on slow 4G: sign-in usable after ${times.join(' / ')} ms (median ${times[1]}), ${Math.round(runs[0].bytes / 1024)} KiB transferred`,
  );
  for (const h of runs[0].headers) {
    assert.match(h['content-encoding'] ?? '', /br|gzip/, 'the script is sent compressed');
    assert.match(h['cache-control'] ?? '', /immutable/, 'the hashed script is cacheable');
  }
});

test("the build's brotli and gzip forms of each file are that file, as the build left it", () => {
  const assets = path.join(FRONTEND_DIR, 'dist', 'assets');
  const names = new Set(readdirSync(assets));
  // vite.config.ts compresses every script and stylesheet of 1 KiB or more.
  const compressed = [...names].filter((f) => /\.(js|css)$/.test(f) && readFileSync(path.join(assets, f)).length >= 1024);
  assert.ok(
    compressed.some((f) => /^index-.*\.js$/.test(f)),
    'the first script is among them',
  );
  for (const f of compressed) {
    assert.ok(names.has(`${f}.br`) && names.has(`${f}.gz`), `${f} has both forms`);
    const plain = readFileSync(path.join(assets, f));
    const read = (ext) => readFileSync(path.join(assets, f + ext));
    assert.ok(brotliDecompressSync(read('.br')).equals(plain), `${f}.br`);
    assert.ok(gunzipSync(read('.gz')).equals(plain), `${f}.gz`);
  }
});
