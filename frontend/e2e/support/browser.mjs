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
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d{3})/;
/** What Chromium logs when a request to a server that is down fails at the network level. */
const CONNECTION_FAILED = /^Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE)$/;

/**
 * A browser context for one person, with one page. `expectHttpError(status, urlPart)` allows
 * the browser's "Failed to load resource" console line for that answer;
 * `allowConnectionErrorsDuring(fn)` allows, only while `fn` runs, the lines for requests to this
 * app's /api/ that failed because the API was down (connection refused, reset or closed).
 * Anything else logged as an error, and any uncaught page error, is a failure reported by
 * `assertClean()`.
 */
export async function openPerson(browser, baseUrl, name, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  const expected = [];
  const apiPrefix = `${new URL(baseUrl).origin}/api/`;
  let outages = 0;
  const tolerated = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const m = FAILED_RESOURCE.exec(msg.text());
    const url = msg.location()?.url ?? '';
    if (m && expected.some((e) => e.status === Number(m[1]) && url.includes(e.urlPart))) return;
    if (outages > 0 && CONNECTION_FAILED.test(msg.text()) && url.startsWith(apiPrefix)) {
      tolerated.push(`${msg.text()} ${url}`);
      return;
    }
    problems.push(`[${name}] console error: ${msg.text()} ${url}`);
  });
  page.on('pageerror', (err) => problems.push(`[${name}] page error: ${err.message}`));
  return {
    name,
    context,
    page,
    expectHttpError: (status, urlPart) => expected.push({ status, urlPart }),
    /** Runs `fn`; connection failures to the API logged meanwhile are expected, not failures. */
    allowConnectionErrorsDuring: async (fn) => {
      outages += 1;
      try {
        return await fn();
      } finally {
        outages -= 1;
      }
    },
    /** The connection failures that `allowConnectionErrorsDuring` let through. */
    toleratedErrors: () => [...tolerated],
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

/**
 * Records every message the page's EventSources receive (through the DevTools protocol, without
 * touching the page): { t, stream, event, id, data }, `stream` being the request the message came
 * on. `lastEventId()` is the id the browser would resume from after the latest message.
 */
export async function watchEventStreams(person) {
  const cdp = await person.context.newCDPSession(person.page);
  const messages = [];
  cdp.on('Network.eventSourceMessageReceived', (m) =>
    messages.push({ t: Date.now(), stream: m.requestId, event: m.eventName, id: m.eventId, data: m.data }),
  );
  await cdp.send('Network.enable');
  return {
    messages,
    lastEventId: () => [...messages].reverse().find((m) => m.id !== '')?.id ?? '',
    detach: () => cdp.detach().catch(() => {}),
  };
}

/**
 * Lets the test hold the page's requests for `pathname` (its EventSource reconnecting): after
 * `hold()` they wait, unsent, until `release()`; before and after, they go through untouched.
 */
export async function gateRequests(person, pathname) {
  let holding = false;
  let open = () => {};
  let gate = Promise.resolve();
  const held = [];
  const matcher = (url) => url.pathname === pathname;
  const handler = async (route) => {
    if (holding) {
      held.push(Date.now());
      await gate;
    }
    await route.continue().catch((e) => {
      if (!person.page.isClosed()) throw e;
    });
  };
  await person.page.route(matcher, handler);
  return {
    hold: () => {
      holding = true;
      gate = new Promise((r) => (open = r));
    },
    release: () => {
      holding = false;
      open();
    },
    /** When each held request arrived. */
    held,
    dispose: () => person.page.unroute(matcher, handler).catch(() => {}),
  };
}
