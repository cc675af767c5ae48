// Real Chromium through playwright-core, with every console error and page error recorded:
// a test fails on any of them, except HTTP errors it declared it expects.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { FRONTEND_DIR } from './system.mjs';

export const ARTIFACTS = path.join(FRONTEND_DIR, 'e2e', 'artifacts');
export const TIMEOUT = 10_000;

export async function launchBrowser() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d{3})/;

/**
 * A browser context for one person, with one page. `expectHttpError(status, urlPart)` allows
 * the browser's "Failed to load resource" console line for that answer; anything else logged
 * as an error, and any uncaught page error, is a failure reported by `assertClean()`.
 */
export async function openPerson(browser, baseUrl, name, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  const expected = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const m = FAILED_RESOURCE.exec(msg.text());
    const url = msg.location()?.url ?? '';
    if (m && expected.some((e) => e.status === Number(m[1]) && url.includes(e.urlPart))) return;
    problems.push(`[${name}] console error: ${msg.text()} ${url}`);
  });
  page.on('pageerror', (err) => problems.push(`[${name}] page error: ${err.message}`));
  return {
    name,
    context,
    page,
    expectHttpError: (status, urlPart) => expected.push({ status, urlPart }),
    assertClean: () => {
      if (problems.length) throw new Error(`browser errors:\n${problems.join('\n')}`);
    },
    shot: (file) => page.screenshot({ path: path.join(ARTIFACTS, `${file}.png`), fullPage: true }),
    close: () => context.close(),
  };
}

/** Signs in through the form; the signed-out visit answers /auth/me with 401, as it should. */
export async function signIn(person, email, password = 'demo1234') {
  const { page } = person;
  person.expectHttpError(401, '/api/v1/auth/me');
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/signin')) await page.goto('/signin');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
}

export async function signOut(person) {
  await person.page.getByRole('button', { name: 'Sign out' }).click();
  await person.page.waitForURL((u) => u.pathname.startsWith('/signin'));
}

/** Waits until `fn` (run in the page) returns a truthy value; returns it. */
export async function waitInPage(page, fn, arg, timeout = TIMEOUT) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  return handle.jsonValue();
}
