// Every page the flows visit, for every role, at a desktop width and on a 390 px wide phone:
// axe-core finds no serious or critical violation, each page has one h1 and skips no heading
// level, nothing makes the page scroll sideways, and at the desktop width the top bar keeps to one
// row. Failed form checks move focus to the first invalid field and announce a summary.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatViolation, headingProblems, runAxe, sidewaysOverflow } from './support/a11y.mjs';
import { launchBrowser, openPerson, signIn } from './support/browser.mjs';
import { apiClient, rejectWhenOffered, slotStart, startSystem } from './support/system.mjs';

const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let system;
let browser;
let api;
const people = [];
/** Bookings made for the pages to show: one Priya takes (plumbing), one both electricians turn down (its job dies). */
const made = {};

async function until(fn, what, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  system = await startSystem();
  api = apiClient(system.baseUrl);
  browser = await launchBrowser();
  const customer = await api.login('customer@example.com');
  const book = (service_type, address, days, hour) =>
    api.post(
      '/bookings',
      customer,
      {
        customer_name: 'Casey Customer',
        customer_phone: '+1 555 010 0100',
        customer_email: 'customer@example.com',
        service_type,
        address,
        starts_at: slotStart(days, hour),
        notes: 'The gate code is 1234.',
      },
      { 'Idempotency-Key': `a11y-${service_type}-${Date.now()}` },
    );
  made.plumbing = (await book('plumbing', '12 Leaky Lane', 2, 10)).id;
  made.dead = (await book('electrical', '7 Overgrown Road', 3, 10)).id;
  for (const electrician of ['eli@example.com', 'sam@example.com']) {
    await rejectWhenOffered(api, await api.login(electrician), made.dead);
  }
  await until(
    async () => (await api.get(`/bookings/${made.plumbing}`, customer)).status === 'assigned',
    'the plumbing booking is assigned',
  );
  // Something in the audit log: the assignment queue paused and resumed.
  const admin = await api.login('admin@example.com');
  await api.post('/admin/queues/assignment/pause', admin);
  await api.post('/admin/queues/assignment/resume', admin);
});

after(async () => {
  await Promise.allSettled(people.map((p) => p.close()));
  await browser?.close().catch(() => {});
  await system?.stop();
});

async function person(name) {
  const p = await openPerson(browser, system.baseUrl, name, DESKTOP);
  people.push(p);
  return p;
}

const nextFrame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Waits until nothing on the page is loading any more. */
const settled = (page) => page.waitForFunction(() => !document.querySelector('.loading'), undefined, { polling: 50 });

/**
 * Whether the signed-in top bar's navigation and its user block (live sign, name, sign-out)
 * share one row; null on a page without that bar.
 */
const topBarOnOneRow = (page) =>
  page.evaluate(() => {
    const nav = document.querySelector('.topbar .nav')?.getBoundingClientRect();
    const user = document.querySelector('.topbar__user')?.getBoundingClientRect();
    if (!nav || !user) return null;
    return user.top < nav.bottom && nav.top < user.bottom;
  });

/**
 * Checks the page now open, at the desktop width and then at 390 px: axe, headings, sideways
 * scrolling, and at the desktop width a top bar on one row. Takes a screenshot at each width.
 * Returns what is wrong, as lines (empty if nothing).
 */
async function checkPage(who, name) {
  const { page } = who;
  const problems = [];
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await nextFrame(page);
    await settled(page);
    const where = `${name} at ${viewport.width} px (${new URL(page.url()).pathname})`;
    const axe = await runAxe(page);
    for (const v of axe.failing) problems.push(`${where}: axe\n${formatViolation(v)}`);
    for (const v of axe.other) console.log(`note, ${where}: axe ${v.impact} ${v.id} (${v.nodes.length}×): ${v.help}`);
    const headings = await headingProblems(page);
    for (const p of headings.problems) problems.push(`${where}: headings: ${p}`);
    if (viewport === DESKTOP && (await topBarOnOneRow(page)) === false)
      problems.push(`${where}: the top bar takes two rows (its links and the user's name and sign-out)`);
    const wide = await sidewaysOverflow(page);
    if (wide.overflow > 0)
      problems.push(`${where}: the page scrolls sideways by ${wide.overflow} px; too wide: ${wide.culprits.join(', ')}`);
    await who.shot(`a11y-${name}-${viewport.width}`);
  }
  await page.setViewportSize(DESKTOP);
  return problems;
}

/** Visits each page in turn (`open` navigates and waits for its content) and fails once, listing everything wrong. */
async function checkPages(who, pages) {
  const problems = [];
  for (const [name, open] of pages) {
    await open(who.page);
    problems.push(...(await checkPage(who, name)));
  }
  assert.equal(problems.length, 0, `accessibility or layout problems:\n${problems.join('\n')}`);
  who.assertClean();
}

/** The focused element's id, and the page's alerts' text. */
const focusAndAlerts = (page) =>
  page.evaluate(() => ({
    focused: document.activeElement?.id ?? null,
    alerts: [...document.querySelectorAll('[role=alert]')].map((a) => a.textContent),
  }));

describe('accessibility and phone layout of every page', () => {
  test(
    'signed out: sign in (empty, then half filled), sign up, a reset link, a page that does not exist',
    { timeout: 120_000 },
    async () => {
      const visitor = await person('a11y-visitor');
      visitor.expectHttpError(401, '/api/v1/auth/me');
      await checkPages(visitor, [
        [
          'sign-in',
          async (page) => {
            await page.goto('/signin');
            await page.getByRole('heading', { name: 'Demo accounts' }).waitFor();
          },
        ],
        [
          'sign-in-empty',
          async (page) => {
            // An empty sign-in is checked in the browser: no request, focus on the e-mail field, a summary announced.
            let logins = 0;
            page.on('request', (r) => r.url().endsWith('/api/v1/auth/login') && logins++);
            await page.getByRole('button', { name: 'Sign in', exact: true }).click();
            const state = await focusAndAlerts(page);
            assert.equal(state.focused, 'signin-email');
            assert.equal(state.alerts.length, 1);
            assert.match(state.alerts[0], /Enter your e-mail address/);
            assert.match(state.alerts[0], /Enter your password/);
            assert.doesNotMatch(state.alerts[0], /wrong/);
            assert.equal(await page.getByLabel('E-mail').getAttribute('aria-invalid'), 'true');
            assert.equal(
              await page.getByLabel('E-mail').evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent),
              'Enter your e-mail address.',
            );
            // With the e-mail filled in, the password is what is missing.
            await page.getByLabel('E-mail').fill('customer@example.com');
            await page.getByRole('button', { name: 'Sign in', exact: true }).click();
            const again = await focusAndAlerts(page);
            assert.equal(again.focused, 'signin-password');
            assert.deepEqual(again.alerts.length, 1);
            assert.match(again.alerts[0], /Enter your password/);
            assert.equal(logins, 0, 'an incomplete sign-in was sent to the API');
          },
        ],
        [
          'sign-up',
          async (page) => {
            await page.goto('/signup');
            await page.getByRole('heading', { name: 'Create a customer account' }).waitFor();
          },
        ],
        [
          'reset-password',
          async (page) => {
            await page.goto('/reset-password#token=0123456789abcdef');
            await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
          },
        ],
        [
          'not-found-signed-out',
          async (page) => {
            await page.goto('/no-such-page');
            await page.getByRole('heading', { name: 'Page not found' }).waitFor();
          },
        ],
      ]);
    },
  );

  test(
    'customer: my bookings, book a service (and a failed check), a booking, a booking not found, a missing page, the account',
    { timeout: 120_000 },
    async () => {
      const customer = await person('a11y-customer');
      await signIn(customer, 'customer@example.com');
      customer.expectHttpError(404, '/api/v1/bookings/999999');
      await checkPages(customer, [
        [
          'customer-list',
          async (page) => {
            await page.goto('/bookings');
            await page.locator(`[data-testid=booking-card][data-booking-id="${made.plumbing}"]`).waitFor();
          },
        ],
        [
          'customer-new',
          async (page) => {
            await page.goto('/bookings/new');
            await page.getByLabel('Service', { exact: true }).waitFor();
          },
        ],
        [
          'customer-new-invalid',
          async (page) => {
            await page.getByLabel('Address', { exact: true }).fill('1 Somewhere Street');
            await page.getByRole('button', { name: 'Book service' }).click();
            const state = await focusAndAlerts(page);
            assert.equal(state.focused, 'service_type', 'focus did not move to the first invalid field');
            assert.equal(state.alerts.length, 1);
            assert.match(state.alerts[0], /Choose a service/);
            assert.match(state.alerts[0], /Choose a service first, then a time/);
            assert.doesNotMatch(state.alerts[0], /Enter the address/);
          },
        ],
        [
          'customer-new-slots',
          async (page) => {
            await page.getByLabel('Service', { exact: true }).selectOption('plumbing');
            await page.getByRole('radiogroup', { name: 'Start time' }).getByRole('radio').first().check();
          },
        ],
        [
          'customer-booking',
          async (page) => {
            await page.goto(`/bookings/${made.plumbing}`);
            await page.locator('[data-testid=booking-detail][data-status=assigned]').waitFor();
          },
        ],
        [
          'customer-booking-not-found',
          async (page) => {
            await page.goto('/bookings/999999');
            await page.getByRole('alert').getByText('Booking #999999 was not found').waitFor();
          },
        ],
        [
          'customer-not-found',
          async (page) => {
            await page.goto('/no-such-page');
            await page.getByRole('heading', { name: 'Page not found' }).waitFor();
          },
        ],
        [
          'customer-account',
          async (page) => {
            await page.goto('/account');
            await page.getByRole('heading', { name: 'Change your password' }).waitFor();
          },
        ],
      ]);
    },
  );

  test('provider: my jobs (one request for the list, none per card), a job, history, working hours', { timeout: 120_000 }, async () => {
    const provider = await person('a11y-provider');
    const detailRequests = [];
    provider.page.on('request', (r) => {
      if (/\/api\/v1\/bookings\/\d+$/.test(new URL(r.url()).pathname)) detailRequests.push(new URL(r.url()).pathname);
    });
    await signIn(provider, 'priya@example.com');
    await checkPages(provider, [
      [
        'provider-list',
        async (page) => {
          await page.goto('/provider');
          const card = page.locator(`[data-testid=provider-booking][data-booking-id="${made.plumbing}"]`);
          await card.getByRole('button', { name: 'Accept' }).waitFor();
          assert.deepEqual(await card.locator('[data-transition]').evaluateAll((els) => els.map((e) => e.dataset.transition)), [
            'accepted',
            'rejected',
          ]);
          assert.deepEqual(detailRequests, [], 'the list asked for bookings one by one');
        },
      ],
      [
        'provider-booking',
        async (page) => {
          await page.goto(`/provider/bookings/${made.plumbing}`);
          await page.locator('[data-testid=booking-detail][data-status=assigned]').waitFor();
        },
      ],
      [
        'provider-history',
        async (page) => {
          await page.goto('/provider/history');
          await page.locator(`[data-testid=provider-booking][data-booking-id="${made.plumbing}"]`).waitFor();
        },
      ],
      [
        'provider-calendar',
        async (page) => {
          await page.goto('/provider/calendar');
          await page.getByRole('button', { name: 'Fill Monday to Friday, 9 to 5' }).click();
          await page.getByRole('button', { name: 'Add a date' }).click();
        },
      ],
    ]);
  });

  test(
    'admin: bookings, a booking with its assign, override and why panels, jobs, a job, providers, a provider, queues, accounts, analytics, audit log',
    { timeout: 120_000 },
    async () => {
      const admin = await person('a11y-admin');
      await signIn(admin, 'admin@example.com');
      await checkPages(admin, [
        [
          'admin-bookings',
          async (page) => {
            await page.goto('/admin');
            await page.locator(`[data-testid=admin-booking-row][data-booking-id="${made.dead}"]`).waitFor();
          },
        ],
        [
          'admin-jobs',
          async (page) => {
            await page.goto('/admin/jobs');
            // The electrical booking's job dies after its four attempts (both electricians declined).
            await page.locator(`[data-testid=job-row][data-booking-id="${made.dead}"]`).waitFor({ timeout: 30_000 });
          },
        ],
        [
          'admin-job',
          async (page) => {
            await page
              .locator(`[data-testid=job-row][data-booking-id="${made.dead}"]`)
              .getByRole('link', { name: /^Open job \d+$/ })
              .click();
            await page.locator('[data-testid=job-detail][data-state=dead]').waitFor();
            await page.getByTestId('job-run').first().waitFor();
          },
        ],
        [
          'admin-booking',
          async (page) => {
            await page.goto(`/admin/bookings/${made.dead}`);
            await page.getByTestId('assignment-exhausted').waitFor();
            await page.getByRole('heading', { name: 'Assign by hand' }).waitFor();
            // The "why" of the first attempt, open.
            await page.getByTestId('why-panel').first().locator('summary').click();
            await page.getByTestId('candidate').first().waitFor();
          },
        ],
        [
          'admin-booking-reassign',
          async (page) => {
            await page.goto(`/admin/bookings/${made.plumbing}`);
            await page.getByRole('heading', { name: 'Reassign' }).waitFor();
          },
        ],
        [
          'admin-booking-invalid',
          async (page) => {
            await page.goto(`/admin/bookings/${made.dead}`);
            await page.getByRole('heading', { name: 'Assign by hand' }).waitFor();
            await page.getByRole('button', { name: 'Override…' }).click();
            const state = await focusAndAlerts(page);
            assert.equal(state.focused, 'override-status');
            assert.equal(state.alerts.length, 1);
            assert.match(state.alerts[0], /Choose the status to force/);
            assert.match(state.alerts[0], /An override needs a reason/);
          },
        ],
        [
          'admin-providers',
          async (page) => {
            await page.goto('/admin/providers');
            await page.getByTestId('provider-row').first().waitFor();
          },
        ],
        [
          'admin-provider',
          async (page) => {
            await page.getByTestId('provider-row').first().getByRole('link').first().click();
            await page.getByTestId('calendar-editor').waitFor();
            await page.getByTestId('provider-day').waitFor();
          },
        ],
        [
          'admin-queue',
          async (page) => {
            await page.goto('/admin/queue');
            await page.getByTestId('worker-row').first().waitFor();
            await page.locator('[data-testid=queue-card][data-queue=assignment]').waitFor();
          },
        ],
        [
          'admin-accounts',
          async (page) => {
            await page.goto('/admin/users');
            await page.getByRole('row', { name: /customer@example\.com/ }).waitFor();
          },
        ],
        [
          'admin-analytics',
          async (page) => {
            await page.goto('/admin/analytics');
            await page.getByRole('region', { name: 'Providers, as a table' }).waitFor();
            await page.getByText('Show as a table').first().click();
          },
        ],
        [
          'admin-audit',
          async (page) => {
            await page.goto('/admin/audit');
            await page.locator('[data-testid=audit-row][data-action=pause_queue]').waitFor();
          },
        ],
      ]);
    },
  );

  test('viewer: the console read-only: bookings, a booking, jobs, a job, providers, a provider, queues', { timeout: 120_000 }, async () => {
    const admin = await api.login('admin@example.com');
    await api.post('/admin/users', admin, { name: 'Vera Viewer', email: 'vera@example.com', password: 'viewer-pass-1', role: 'viewer' });
    const viewer = await person('a11y-viewer');
    await signIn(viewer, 'vera@example.com', 'viewer-pass-1');
    await checkPages(viewer, [
      [
        'viewer-bookings',
        async (page) => {
          await page.goto('/admin');
          await page.getByTestId('read-only').waitFor();
          await page.locator(`[data-testid=admin-booking-row][data-booking-id="${made.dead}"]`).waitFor();
        },
      ],
      [
        'viewer-booking',
        async (page) => {
          await page.goto(`/admin/bookings/${made.plumbing}`);
          await page.locator('[data-testid=booking-detail][data-status=assigned]').waitFor();
        },
      ],
      [
        'viewer-jobs',
        async (page) => {
          await page.goto('/admin/jobs');
          await page.locator(`[data-testid=job-row][data-booking-id="${made.dead}"]`).waitFor({ timeout: 30_000 });
        },
      ],
      [
        'viewer-job',
        async (page) => {
          await page
            .locator(`[data-testid=job-row][data-booking-id="${made.dead}"]`)
            .getByRole('link', { name: /^Open job \d+$/ })
            .click();
          await page.locator('[data-testid=job-detail][data-state=dead]').waitFor();
        },
      ],
      [
        'viewer-providers',
        async (page) => {
          await page.goto('/admin/providers');
          await page.getByTestId('provider-row').first().waitFor();
        },
      ],
      [
        'viewer-provider',
        async (page) => {
          await page.getByTestId('provider-row').first().getByRole('link').first().click();
          await page.getByTestId('provider-day').waitFor();
          await page.getByRole('heading', { name: 'Working hours' }).waitFor();
        },
      ],
      [
        'viewer-queue',
        async (page) => {
          await page.goto('/admin/queue');
          await page.getByTestId('worker-row').first().waitFor();
        },
      ],
    ]);
  });
});
