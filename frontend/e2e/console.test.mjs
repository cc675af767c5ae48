// End-to-end: the operator console through the browser, on the real API and two real
// workers (a fresh SQLite file): pausing and resuming the assignment queue while a customer
// books, and finding dead jobs by their error, keeping the filter in the address, and
// retrying every matching job at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openPerson, signIn } from './support/browser.mjs';
import { bookThroughForm } from './support/booking.mjs';
import { apiClient, slotStart, startSystem } from './support/system.mjs';

let system;
let browser;
let api;
const people = [];

before(async () => {
  system = await startSystem();
  api = apiClient(system.baseUrl);
  browser = await launchBrowser();
});

after(async () => {
  await Promise.allSettled(people.map((p) => p.close()));
  await browser?.close().catch(() => {});
  await system?.stop();
});

async function person(name) {
  const p = await openPerson(browser, system.baseUrl, name);
  people.push(p);
  return p;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves to `fn()`'s value once it is truthy, asking every 100 ms; fails with `what` after `timeout` ms. */
async function until(fn, what, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(100);
  }
}

/**
 * Has each provider of `emails` turn the booking down when it is offered to them, in
 * whichever order the worker offers it; resolves once all have.
 */
async function rejectedByAll(bookingId, emails) {
  const left = new Map();
  for (const email of emails) left.set(email, await api.login(email));
  await until(
    async () => {
      for (const [email, token] of left) {
        // Not offered to them (yet): the API does not show it to them.
        const b = await api.get(`/bookings/${bookingId}`, token).catch(() => null);
        if (b?.status === 'assigned' && b.allowed_transitions.includes('rejected')) {
          await api.patch(`/bookings/${bookingId}/status`, token, {
            status: 'rejected',
            reason: 'Fully booked',
            expected_version: b.version,
          });
          left.delete(email);
        }
      }
      return left.size === 0;
    },
    `booking #${bookingId} was turned down by ${emails.join(' and ')}`,
  );
}

const detail = (status) => `[data-testid=booking-detail][data-status=${status}]`;
const mainNav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe('the operator console', () => {
  test('a paused assignment queue holds a new booking unassigned until the admin resumes it', { timeout: 120_000 }, async () => {
    const admin = await person('console-admin');
    await signIn(admin, 'admin@example.com');
    await mainNav(admin.page, 'Queue').click();
    const card = admin.page.locator('[data-testid=queue-card][data-queue=assignment]');
    await card.waitFor();
    assert.equal(await card.getAttribute('data-paused'), 'false');

    // Pausing asks first.
    await card.getByRole('button', { name: 'Pause the assignment queue' }).click();
    const dialog = admin.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Pause queue' }).click();
    await admin.page.locator('[data-testid=queue-card][data-queue=assignment][data-paused=true]').waitFor();
    await card.getByText('Paused by Ada Admin').waitFor();
    await card.getByRole('button', { name: 'Resume the assignment queue' }).waitFor();

    // A customer books; nobody takes the job while the queue is paused.
    const customer = await person('console-customer');
    await signIn(customer, 'customer@example.com');
    const id = await bookThroughForm(customer, { service: 'plumbing', address: '5 Paused Place', days: 2, hour: 10 });
    await customer.page.locator(detail('pending')).waitFor();
    // The queue page shows the due job waiting (the booking's event refetches it; it is polled too).
    await card.getByTestId('queue-oldest-due').waitFor();
    await sleep(3000);
    assert.equal(await customer.page.getByTestId('booking-detail').getAttribute('data-status'), 'pending');
    const token = await api.login('admin@example.com');
    const held = await api.get(`/bookings/${id}`, token);
    assert.equal(held.status, 'pending', 'the booking was assigned while the queue was paused');
    assert.equal(held.attempts.length, 0, 'a worker ran the assignment while the queue was paused');
    await customer.shot('console-01-pending-while-paused');
    await admin.shot('console-02-queue-paused');

    // The admin resumes; the booking is assigned, live on the customer's page.
    await card.getByRole('button', { name: 'Resume the assignment queue' }).click();
    await admin.page.locator('[data-testid=queue-card][data-queue=assignment][data-paused=false]').waitFor();
    await customer.page.locator(detail('assigned')).waitFor({ timeout: 15_000 });

    // Both are in the audit log, newest first; the action filter goes in the address.
    await mainNav(admin.page, 'Audit').click();
    const rows = admin.page.getByTestId('audit-row');
    await rows.first().waitFor();
    assert.deepEqual((await rows.evaluateAll((rs) => rs.map((r) => r.dataset.action))).slice(0, 2), ['resume_queue', 'pause_queue']);
    await admin.page.getByLabel('Action', { exact: true }).selectOption('pause_queue');
    await admin.page.waitForURL((u) => u.searchParams.get('action') === 'pause_queue');
    await admin.page.locator('[data-testid=audit-row][data-action=resume_queue]').waitFor({ state: 'detached' });
    assert.match(await rows.first().textContent(), /Paused a queue.*queue assignment/);
    await admin.shot('console-03-audit');

    for (const p of [admin, customer]) p.assertClean();
  });

  test('dead jobs found by their error text stay filtered after a reload, and are retried all at once', { timeout: 180_000 }, async () => {
    // Two electrical bookings that both electricians turn down: each job dies after its four
    // attempts, the last ones with "no eligible provider for electrical at …".
    const customerToken = await api.login('customer@example.com');
    const bookings = [];
    for (const [days, hour] of [
      [3, 10],
      [4, 11],
    ]) {
      const b = await api.post(
        '/bookings',
        customerToken,
        {
          customer_name: 'Casey Customer',
          customer_phone: '+1 555 010 0100',
          customer_email: 'customer@example.com',
          service_type: 'electrical',
          address: `${days} Dark Street`,
          starts_at: slotStart(days, hour),
        },
        { 'Idempotency-Key': `console-${days}-${Date.now()}` },
      );
      bookings.push(b.id);
    }
    await Promise.all(bookings.map((id) => rejectedByAll(id, ['eli@example.com', 'sam@example.com'])));
    const ERROR = 'no eligible provider for electrical';
    const adminToken = await api.login('admin@example.com');
    const dead = await until(async () => {
      const page = await api.get(`/admin/jobs?state=dead&q=${encodeURIComponent(ERROR)}`, adminToken);
      return page.total === 2 && page.items;
    }, 'both electrical jobs are dead');
    assert.deepEqual(dead.map((j) => j.booking_id).sort(), [...bookings].sort());

    // The admin finds them on the jobs page, among jobs in every state, by their error text.
    const admin = await person('console-admin-jobs');
    await signIn(admin, 'admin@example.com');
    await mainNav(admin.page, 'Jobs').click();
    const total = admin.page.getByTestId('job-total');
    await total.waitFor();
    await admin.page.getByLabel('State', { exact: true }).selectOption('all');
    await admin.page.waitForURL((u) => u.searchParams.get('state') === 'all');
    // Every state: the plumbing job of the first test, the offers' expiries, and these two.
    const everyJob = await until(async () => {
      const n = Number(/^([\d,]+) jobs? match/.exec(await total.textContent())?.[1].replace(/,/g, ''));
      return n > 2 && n;
    }, 'the table shows jobs in every state');
    await admin.page.getByLabel('Error text').fill(ERROR);
    await admin.page.getByRole('button', { name: 'Apply' }).click();
    await admin.page.waitForURL((u) => u.searchParams.get('q') === ERROR && u.searchParams.get('state') === 'all');
    await total.getByText('2 jobs match').waitFor();

    // A reload keeps the filters: in the address, in the fields, and in what is shown.
    await admin.page.reload();
    await total.getByText('2 jobs match').waitFor();
    assert.equal(await admin.page.getByLabel('Error text').inputValue(), ERROR);
    assert.equal(await admin.page.getByLabel('State', { exact: true }).inputValue(), 'all');
    assert.deepEqual(
      (await admin.page.getByTestId('job-row').evaluateAll((rs) => rs.map((r) => Number(r.dataset.bookingId)))).sort(),
      [...bookings].sort(),
    );
    console.log(`jobs in every state: ${everyJob}; matching "${ERROR}": 2`);
    await admin.shot('console-04-jobs-filtered');

    // Select every matching job, retry, confirm: the report counts them.
    await admin.page.getByRole('button', { name: 'Select all 2 matching' }).click();
    await admin.page.getByTestId('job-selected').getByText('all 2 jobs selected').waitFor();
    await admin.page.getByRole('group', { name: 'Act on the selected jobs' }).getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = admin.page.getByRole('dialog');
    await dialog.getByText(`error text “${ERROR}”`).waitFor();
    await admin.shot('console-05-confirm-retry');
    await dialog.getByRole('button', { name: 'Retry 2 jobs' }).click();
    const report = admin.page.getByTestId('action-report');
    await report.getByText('Retried 2 jobs').waitFor();
    // It stays until dismissed, whatever the table does meanwhile.
    await sleep(1000);
    await report.getByText('Retried 2 jobs').waitFor();
    await admin.shot('console-06-retried');

    // Each job started a new round (nobody is left to take them, so they may die again).
    for (const j of dead) {
      const after = await api.get(`/admin/jobs/${j.id}`, adminToken);
      assert.equal(after.round, j.round + 1, `job #${j.id} was not retried`);
    }
    await report.getByRole('button', { name: 'Dismiss' }).click();
    await report.waitFor({ state: 'detached' });

    admin.assertClean();
  });
});
