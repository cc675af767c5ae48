// End-to-end: operators through the browser, on the real API and two real workers (a fresh
// database): an admin adds a read-only viewer, who sees the console and no control that acts
// (and whom the API refuses); the admin filters the bookings by service and reads how many
// match, reassigns an assigned booking in one step, and deactivates a provider, whose booking
// goes back to dispatch and on to another provider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openPerson, signIn, signOut } from './support/browser.mjs';
import { apiClient, slotStart, startSystem } from './support/system.mjs';

let system;
let browser;
let api;
const people = [];
/** The bookings made for the flows: two plumbing jobs Priya is offered, one cleaning job Chen is. */
const made = {};
let adminToken;

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

before(async () => {
  system = await startSystem();
  api = apiClient(system.baseUrl);
  browser = await launchBrowser();
  adminToken = await api.login('admin@example.com');
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
      },
      { 'Idempotency-Key': `operators-${service_type}-${days}-${Date.now()}` },
    );
  const providers = await api.get('/providers', adminToken);
  made.priya = providers.find((p) => p.email === 'priya@example.com').id;
  made.marco = providers.find((p) => p.email === 'marco@example.com').id;
  // Priya ranks first for plumbing, Chen for cleaning: each is offered theirs. The plumbing
  // jobs are booked one after the other: two workers assigning both at once may pass over
  // Priya for the second while the first holds her (on PostgreSQL a held provider is skipped).
  const offeredToPriya = (id) =>
    until(async () => {
      const b = await api.get(`/bookings/${id}`, adminToken);
      return b.status === 'assigned' && b.provider_id === made.priya;
    }, `booking #${id} is offered to Priya`);
  made.first = (await book('plumbing', '1 Tap Street', 2, 10)).id;
  await offeredToPriya(made.first);
  made.second = (await book('plumbing', '2 Drain Road', 3, 10)).id;
  await offeredToPriya(made.second);
  made.cleaning = (await book('cleaning', '3 Dust Lane', 2, 12)).id;
  await until(async () => (await api.get(`/bookings/${made.cleaning}`, adminToken)).status === 'assigned', 'the cleaning is assigned');
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

const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });
const VIEWER = { name: 'Vera Viewer', email: 'vera@example.com', password: 'viewer-pass-1' };

describe('operators', () => {
  test('an admin adds a viewer, who sees the console read-only and whom the API refuses', { timeout: 120_000 }, async () => {
    const admin = await person('operators-admin');
    await signIn(admin, 'admin@example.com');
    await mainNav(admin.page).getByRole('link', { name: 'Accounts', exact: true }).click();
    const form = admin.page.getByRole('form', { name: 'Add an operator' });
    await form.getByLabel('Name').fill(VIEWER.name);
    await form.getByLabel('E-mail').fill(VIEWER.email);
    await form.getByLabel('Password').fill(VIEWER.password);
    await form.getByLabel('Role').selectOption('viewer');
    await admin.shot('operators-01-users-form');
    await form.getByRole('button', { name: 'Add operator' }).click();
    await admin.page.getByTestId('operator-created').getByText(`Added ${VIEWER.name} (${VIEWER.email}) as a viewer.`).waitFor();
    const row = admin.page.getByRole('row', { name: new RegExp(VIEWER.email.replace('.', '\\.')) });
    await row.getByTestId('user-role').getByText('viewer').waitFor();
    await row.getByText('read-only').waitFor();
    // The confirmation stays while the list refreshes.
    await sleep(1000);
    await admin.page.getByTestId('operator-created').waitFor();
    await admin.shot('operators-02-users-added');
    await signOut(admin);

    const viewer = await person('operators-viewer');
    await signIn(viewer, VIEWER.email, VIEWER.password);
    const { page } = viewer;
    await page.waitForURL((u) => u.pathname === '/admin');
    await page.getByTestId('read-only').getByText('Read-only').waitFor();
    assert.deepEqual(await mainNav(page).getByRole('link').allTextContents(), [
      'Bookings',
      'Jobs',
      'Providers',
      'Queue',
      'Analytics',
      'Audit',
    ]);
    await page.locator(`[data-testid=admin-booking-row][data-booking-id="${made.first}"]`).waitFor();
    await page.getByTestId('booking-total').getByText('3 bookings').waitFor();
    await viewer.shot('operators-03-viewer-bookings');

    // A booking: its history, and no moves, assign or override.
    await page.getByRole('link', { name: `Open booking ${made.first}` }).click();
    await page.locator('[data-testid=booking-detail][data-status=assigned]').waitFor();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    assert.equal(await page.getByRole('main').getByRole('button').count(), 0, 'a viewer is shown buttons on a booking');
    assert.equal(await page.getByRole('heading', { name: /Reassign|Assign by hand|Override status|Moves/ }).count(), 0);
    await viewer.shot('operators-04-viewer-booking');

    // Jobs in every state: the table, and nothing to select or act with.
    await mainNav(page).getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByLabel('State', { exact: true }).selectOption('all');
    await page.getByTestId('job-row').first().waitFor();
    assert.equal(await page.getByRole('checkbox').count(), 0, 'a viewer can select jobs');
    assert.equal(await page.getByRole('button', { name: /Retry|Cancel|Run now|Select all/ }).count(), 0);
    await viewer.shot('operators-05-viewer-jobs');

    // The queues: depth and state, no Pause or Resume.
    await mainNav(page).getByRole('link', { name: 'Queue', exact: true }).click();
    await page.locator('[data-testid=queue-card][data-queue=assignment]').waitFor();
    await page.getByTestId('worker-row').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /Pause|Resume/ }).count(), 0, 'a viewer can pause a queue');
    await viewer.shot('operators-06-viewer-queue');

    // The providers: read, not changed.
    await mainNav(page).getByRole('link', { name: 'Providers', exact: true }).click();
    await page.getByTestId('provider-row').first().waitFor();
    assert.equal(await page.getByRole('switch').count(), 0);
    assert.equal(await page.getByRole('button', { name: /Edit services|Add provider/ }).count(), 0);

    // The accounts are an admin's: the address sends a viewer back to the bookings.
    await page.goto('/admin/users');
    await page.waitForURL((u) => u.pathname === '/admin');

    // Whatever the page shows, the API refuses a viewer's action.
    viewer.expectHttpError(403, '/api/v1/admin/queues/assignment/pause');
    const status = await page.evaluate(() => fetch('/api/v1/admin/queues/assignment/pause', { method: 'POST' }).then((r) => r.status));
    assert.equal(status, 403);
    assert.equal((await api.get('/admin/queues', adminToken)).find((q) => q.name === 'assignment').paused, false);

    for (const p of [admin, viewer]) p.assertClean();
  });

  test('the admin filters the bookings by service and reads how many match', { timeout: 60_000 }, async () => {
    const admin = await person('operators-admin-filters');
    await signIn(admin, 'admin@example.com');
    const { page } = admin;
    const total = page.getByTestId('booking-total');
    await total.getByText('3 bookings').waitFor();
    await page.getByLabel('Service', { exact: true }).selectOption('plumbing');
    await page.waitForURL((u) => u.searchParams.get('service_type') === 'plumbing');
    await total.getByText('2 bookings').waitFor();
    const ids = await page.getByTestId('admin-booking-row').evaluateAll((rs) => rs.map((r) => Number(r.dataset.bookingId)));
    assert.deepEqual(ids.sort(), [made.first, made.second].sort());
    // Soonest start first, and the filters survive a reload.
    await page.getByLabel('Order').selectOption('starts_at');
    await page.waitForURL((u) => u.searchParams.get('order') === 'starts_at');
    await page.reload();
    await total.getByText('2 bookings').waitFor();
    assert.equal(await page.getByLabel('Service', { exact: true }).inputValue(), 'plumbing');
    assert.deepEqual(await page.getByTestId('admin-booking-row').evaluateAll((rs) => rs.map((r) => Number(r.dataset.bookingId))), [
      made.first,
      made.second,
    ]);
    // The days it starts on (the service area's calendar, UTC here): from the second one's day.
    const secondDay = slotStart(3, 10).slice(0, 10);
    await page.getByLabel('Starts from').fill(secondDay);
    await page.waitForURL((u) => u.searchParams.get('from') === secondDay);
    await total.getByText('1 booking', { exact: true }).waitFor();
    assert.deepEqual(await page.getByTestId('admin-booking-row').evaluateAll((rs) => rs.map((r) => Number(r.dataset.bookingId))), [
      made.second,
    ]);
    await admin.shot('operators-07-bookings-filtered');
    await page.getByLabel('Starts until').fill(slotStart(2, 10).slice(0, 10));
    await page.getByText('No bookings match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL((u) => u.search === '');
    // The address changes before the page has redrawn the cleared form: wait for the list it
    // shows, or the next choice can land on the old form and keep its days.
    await total.getByText('3 bookings').waitFor();
    assert.equal(await page.getByLabel('Service', { exact: true }).inputValue(), '');
    await page.getByLabel('Service', { exact: true }).selectOption('cleaning');
    await total.getByText('1 booking', { exact: true }).waitFor();
    admin.assertClean();
  });

  test('the admin reassigns an assigned booking to another provider in one step', { timeout: 60_000 }, async () => {
    const admin = await person('operators-admin-reassign');
    await signIn(admin, 'admin@example.com');
    const { page } = admin;
    await page.goto(`/admin/bookings/${made.first}`);
    await page.getByRole('heading', { name: 'Reassign' }).waitFor();
    await page
      .getByTestId('assign-holder')
      .getByText(/Priya Patel holds this booking/)
      .waitFor();
    const choices = await page.getByLabel('Provider', { exact: true }).locator('option').allTextContents();
    assert.ok(!choices.some((c) => c.startsWith('Priya')), `the holder is offered: ${choices.join(' / ')}`);
    await page.getByLabel('Provider', { exact: true }).selectOption(String(made.marco));
    await page.getByLabel('Reason (optional)').fill('Priya is off sick');
    await page.getByRole('button', { name: 'Reassign', exact: true }).click();
    await page.getByTestId('assign-done').getByText('Reassigned from Priya Patel to Marco Rossi.').waitFor();
    await page.getByTestId('booking-provider').getByText('Marco Rossi').waitFor();
    await page.locator('[data-testid=booking-detail][data-status=assigned]').waitFor();
    const b = await api.get(`/bookings/${made.first}`, adminToken);
    assert.equal(b.provider_id, made.marco);
    assert.equal(b.status, 'assigned');
    assert.match(b.history.at(-1).reason, /reassigned from Priya Patel \(provider \d+\): Priya is off sick/);
    await admin.shot('operators-08-reassigned');
    admin.assertClean();
  });

  test('deactivating a provider sends the booking they hold back to dispatch, to another provider', { timeout: 90_000 }, async () => {
    const admin = await person('operators-admin-deactivate');
    await signIn(admin, 'admin@example.com');
    const { page } = admin;
    await page.goto(`/admin/providers/${made.priya}`);
    await page.getByRole('heading', { level: 1, name: 'Priya Patel' }).waitFor();
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/go back to dispatch/).waitFor();
    await admin.shot('operators-09-deactivate-confirm');
    await dialog.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await page
      .getByTestId('provider-activation-done')
      .getByText(/Priya Patel is deactivated/)
      .waitFor();
    await page.locator('[data-testid=provider-activation][data-active=false]').getByRole('button', { name: 'Reactivate' }).waitFor();
    await admin.shot('operators-10-provider-inactive');

    // The booking she held went back to dispatch, and the worker offered it to Marco.
    const after = await until(async () => {
      const b = await api.get(`/bookings/${made.second}`, adminToken);
      return b.status === 'assigned' && b.provider_id !== made.priya && b;
    }, `booking #${made.second} is offered to someone else`);
    assert.equal(after.provider_id, made.marco);
    assert.ok(
      after.history.some((h) => h.old_status === 'assigned' && h.new_status === 'pending' && /deactivated/.test(h.reason ?? '')),
      'no history row says the booking went back to dispatch',
    );
    await page.goto(`/admin/bookings/${made.second}`);
    await page.getByTestId('booking-provider').getByText('Marco Rossi').waitFor();
    await page
      .getByTestId('timeline-row')
      .filter({ hasText: /deactivated: back to dispatch/ })
      .first()
      .waitFor();
    await admin.shot('operators-11-back-to-dispatch');

    // The list marks her; no assign panel offers her.
    await page.goto('/admin/providers');
    await page.locator(`[data-testid=provider-row][data-provider-id="${made.priya}"]`).getByTestId('inactive-badge').waitFor();
    await page.goto(`/admin/bookings/${made.first}`);
    await page.getByRole('heading', { name: 'Reassign' }).waitFor();
    await page.getByText('No other active provider offers this service.').waitFor();
    admin.assertClean();
  });
});
