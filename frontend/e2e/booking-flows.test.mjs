// End-to-end: the real API (serving dist/) and two real workers on a fresh SQLite file,
// driven through real Chromium by a customer, providers and an admin at once.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { gateRequests, launchBrowser, openPerson, signIn, signOut, waitInPage, watchEventStreams } from './support/browser.mjs';
import { bookThroughForm } from './support/booking.mjs';
import { apiClient, rejectWhenOffered, slotStart, startSystem } from './support/system.mjs';

let system;
let browser;
let api;
const people = [];

before(async () => {
  // No lead time: the first flow books the next slot, so that the work may start now (a
  // booking may start from an hour before its window, not days before).
  system = await startSystem({ MIN_LEAD_MINUTES: '0' });
  api = apiClient(system.baseUrl);
  browser = await launchBrowser();
});

after(async () => {
  await Promise.allSettled(people.map((p) => p.close()));
  await browser?.close().catch(() => {});
  await system?.stop();
});

async function person(name, viewport) {
  const p = await openPerson(browser, system.baseUrl, name, viewport);
  people.push(p);
  return p;
}

/** Records, in the page, each moment the booking's status or provider or progress text changes. */
async function recordChanges(page) {
  await page.evaluate(() => {
    window.__seen = [];
    window.__notReloaded = true;
    const rec = () => {
      const d = document.querySelector('[data-testid=booking-detail]');
      const entry = {
        t: Date.now(),
        status: d?.getAttribute('data-status') ?? null,
        provider: document.querySelector('[data-testid=booking-provider]')?.textContent ?? null,
        progress: document.querySelector('[data-testid=assignment-progress]')?.textContent ?? null,
      };
      const last = window.__seen[window.__seen.length - 1];
      if (!last || last.status !== entry.status || last.provider !== entry.provider || last.progress !== entry.progress)
        window.__seen.push(entry);
    };
    rec();
    new MutationObserver(rec).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

const detail = (status) => `[data-testid=booking-detail][data-status=${status}]`;
const liveIndicator = (state) => `[data-testid=live-indicator][data-state=${state}]`;

/** Resolves once `pred()` holds, checking every 50 ms; fails with `what` after `timeout` ms. */
async function until(pred, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('booking and dispatch through the browser', () => {
  test('a booking is assigned, rejected, reassigned and completed, and everyone sees it live', { timeout: 180_000 }, async () => {
    // The customer signs in with the demo table's button and books through the form.
    const customer = await person('customer');
    customer.expectHttpError(401, '/api/v1/auth/me');
    await customer.page.goto('/');
    await customer.page.waitForURL('**/signin');
    await customer.page.getByRole('heading', { name: 'Demo accounts' }).waitFor();
    await customer.shot('01-sign-in');
    await customer.page.getByRole('button', { name: 'Use customer@example.com' }).click();
    assert.equal(await customer.page.getByLabel('E-mail').inputValue(), 'customer@example.com');
    await customer.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await customer.page.waitForURL('**/bookings');
    const id = await bookThroughForm(customer, {
      service: 'plumbing',
      address: '12 Leaky Lane',
      shot: '02-customer-booking-form',
      soonest: true,
    });
    await recordChanges(customer.page);

    // The worker assigns it (the least loaded, best rated plumber: Priya); the page shows it without a reload.
    await customer.page.locator(detail('assigned')).waitFor();
    assert.equal(await customer.page.getByTestId('booking-provider').textContent(), 'Priya Patel');
    await customer.page.locator('[data-testid=live-indicator][data-state=live]').waitFor();

    // Priya rejects it, with a reason, from her page.
    const provider = await person('provider');
    await signIn(provider, 'priya@example.com');
    assert.match(provider.page.url(), /\/provider$/);
    const priyaCard = provider.page.locator(`[data-testid=provider-booking][data-booking-id="${id}"]`);
    await priyaCard.getByRole('button', { name: 'Reject' }).waitFor();
    // The offer says how long she has to answer it (15 minutes here).
    assert.match(await priyaCard.getByTestId('offer-deadline').textContent(), /^Answer within 1[45] min \(by /);
    await provider.shot('04-provider');
    // Only the moves the API allows her now are offered.
    assert.deepEqual(await priyaCard.locator('[data-transition]').evaluateAll((els) => els.map((e) => e.dataset.transition)), [
      'accepted',
      'rejected',
    ]);
    await priyaCard.getByRole('button', { name: 'Reject' }).click();
    // The reason's field has focus as it opens: she types straight away.
    await provider.page.keyboard.type('No parts for this model today');
    assert.equal(await priyaCard.getByLabel('Why are you rejecting this booking?').inputValue(), 'No parts for this model today');
    await priyaCard.getByRole('button', { name: 'Reject booking' }).click();
    await priyaCard.waitFor({ state: 'detached' });

    // The customer's page shows the rejection and then Marco, live: the change, not who
    // turned the job down or why, and no attempts table (those are the staff's).
    await customer.page.locator('[data-testid=timeline-row][data-status=rejected]').waitFor();
    await waitInPage(
      customer.page,
      (want) => {
        const d = document.querySelector('[data-testid=booking-detail]');
        return (
          d?.getAttribute('data-status') === 'assigned' && document.querySelector('[data-testid=booking-provider]')?.textContent === want
        );
      },
      'Marco Rossi',
    );
    assert.equal(await customer.page.locator('[data-testid=attempt-row]').count(), 0);
    assert.equal(await customer.page.getByText('No parts for this model today').count(), 0);
    assert.equal(await customer.page.getByTestId('timeline-row').filter({ hasText: 'Priya Patel' }).count(), 0);

    // Priya signs out; Marco signs in on the same browser and accepts, starts, completes.
    await signOut(provider);
    await signIn(provider, 'marco@example.com');
    const marcoCard = provider.page.locator(`[data-testid=provider-booking][data-booking-id="${id}"]`);
    for (const [button, status] of [
      ['Accept', 'accepted'],
      ['Start', 'in_progress'],
      ['Complete', 'completed'],
    ]) {
      await marcoCard.getByRole('button', { name: button, exact: true }).click();
      // Completing closes the job for good: it asks once more, with a note for dispatch.
      if (status === 'completed') {
        await marcoCard
          .getByLabel('Anything to note about the work? (optional; for dispatch, in the booking history)')
          .fill('Replaced the washer');
        await marcoCard.getByRole('button', { name: 'Mark the job complete' }).click();
      }
      await provider.page
        .getByTestId('toast')
        .getByText(`Booking #${id} ${{ accepted: 'accepted', in_progress: 'started', completed: 'completed' }[status]}.`)
        .waitFor();
      // The agenda holds active jobs: a completed one leaves it.
      if (status === 'completed') await marcoCard.waitFor({ state: 'detached' });
      else await provider.page.locator(`[data-testid=provider-booking][data-booking-id="${id}"][data-status=${status}]`).waitFor();
      // ...and the customer sees each step on the page they have open.
      await customer.page.locator(detail(status)).waitFor();
    }
    // The customer's timeline in words: booked, offered, confirmed with Marco (by first name),
    // on the way, done; Priya is never named.
    const steps = await customer.page.getByTestId('timeline-row').locator('strong').allTextContents();
    assert.equal(steps[0], 'Booked');
    for (const step of ['Confirmed with Marco', 'Marco started the work', 'Done']) assert.ok(steps.includes(step), `${step} in ${steps}`);
    assert.ok(
      steps.every((s) => !s.includes('Priya')),
      `${steps}`,
    );
    await customer.shot('03-customer-booking-page');
    assert.equal(await customer.page.evaluate(() => window.__notReloaded), true, 'the customer page was reloaded');

    // Changes reached the open page within a second of being committed (timestamps from the same clock).
    const seen = await customer.page.evaluate(() => window.__seen);
    const history = (await api.get(`/bookings/${id}`, await api.login('admin@example.com'))).history;
    // The provider's note on the work is in the record dispatch reads, not on the customer's page.
    assert.ok(history.some((h) => h.new_status === 'completed' && h.reason === 'Replaced the washer'));
    assert.equal(await customer.page.getByText('Replaced the washer').count(), 0);
    const lag = (pred, status) => {
      const row = history.find(pred);
      const shown = seen.find(
        (s) => s.t >= Date.parse(row.timestamp) - 50 && s.status === status && (status !== 'assigned' || s.provider === 'Marco Rossi'),
      );
      assert.ok(shown, `the page never showed ${status}`);
      return shown.t - Date.parse(row.timestamp);
    };
    const lags = {
      reassigned_by_worker: lag((h) => h.old_status === 'rejected' && h.new_status === 'assigned', 'assigned'),
      accepted: lag((h) => h.new_status === 'accepted', 'accepted'),
      in_progress: lag((h) => h.new_status === 'in_progress', 'in_progress'),
      completed: lag((h) => h.new_status === 'completed', 'completed'),
    };
    console.log(
      `live update delays (ms): ${JSON.stringify(lags)}; countdown seen: ${seen.some((s) => /Attempt 2 of 4/.test(s.progress ?? ''))}`,
    );
    for (const [what, ms] of Object.entries(lags)) assert.ok(ms < 1000, `${what} took ${ms} ms to show on the customer's page`);

    // The admin opens the booking from the bookings table and sees the whole trail.
    const admin = await person('admin');
    await signIn(admin, 'admin@example.com');
    assert.match(admin.page.url(), /\/admin$/);
    await admin.page.locator(`[data-testid=admin-booking-row][data-booking-id="${id}"]`).waitFor();
    await admin.shot('05-admin-bookings');
    await admin.page.getByRole('link', { name: `Open booking ${id}`, exact: true }).click();
    await admin.page.locator(detail('completed')).waitFor();
    const trail = await admin.page.getByTestId('timeline-row').evaluateAll((rows) => rows.map((r) => r.dataset.status));
    assert.deepEqual(trail, ['pending', 'assigned', 'rejected', 'assigned', 'accepted', 'in_progress', 'completed']);
    await admin.page.getByTestId('timeline-row').filter({ hasText: 'Priya Patel' }).first().waitFor();
    await admin.page.getByTestId('timeline-row').filter({ hasText: 'Marco Rossi' }).first().waitFor();
    // The admin sees who turned it down and why, and every attempt.
    await admin.page.getByTestId('timeline-row').filter({ hasText: 'No parts for this model today' }).waitFor();
    const attempts = await admin.page
      .locator('[data-testid=attempt-row]')
      .evaluateAll((rows) => rows.map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent)));
    assert.deepEqual(attempts, [
      ['1', '1', 'Rejected by provider'],
      ['1', '2', 'Assigned'],
    ]);
    await admin.shot('06-admin-booking-detail');

    // Marco has his reviews page open, and the admin the dashboard, when the customer rates
    // the finished job: both follow without a reload.
    await provider.page.getByRole('link', { name: 'Reviews' }).click();
    await provider.page.getByTestId('rating-summary').getByText('No reviews yet').waitFor();
    await provider.page.evaluate(() => (window.__notReloaded = true));
    await admin.page.getByRole('link', { name: 'Analytics' }).click();
    const marcoRow = admin.page.getByRole('region', { name: 'Providers, as a table' }).getByRole('row', { name: /Marco Rossi/ });
    await marcoRow.getByRole('cell', { name: 'no reviews' }).waitFor();
    await admin.page.evaluate(() => (window.__notReloaded = true));
    const panel = customer.page.getByTestId('rating-panel');
    await panel.getByRole('heading', { name: 'How did it go?' }).waitFor();
    await panel.getByRole('button', { name: 'Rate this job' }).click();
    await panel.getByRole('alert').getByText('Choose from 1 to 5 stars.').waitFor();
    await panel.getByLabel('4 stars').check();
    await panel.getByLabel('Comment (optional)').fill('Quick and tidy.');
    await panel.getByRole('button', { name: 'Rate this job' }).click();
    await panel.getByRole('heading', { name: 'Your rating' }).waitFor();
    await panel.getByRole('img', { name: '4 of 5 stars' }).waitFor();
    await customer.shot('07-customer-rated');
    await provider.page.getByTestId('rating-summary').getByText('4.0 ★ from 1 review').waitFor();
    await provider.page.getByTestId('review').getByText('Quick and tidy.').waitFor();
    await provider.shot('08-provider-reviews');
    await marcoRow.getByRole('cell', { name: '4.0 ★ (1)' }).waitFor();
    for (const p of [provider, admin])
      assert.equal(await p.page.evaluate(() => window.__notReloaded), true, `${p.name}'s page was reloaded`);

    // The dashboard: Marco completed this job; the range goes in the address (a reload keeps
    // it), and the providers' table comes as CSV.
    assert.ok(Number(await marcoRow.getByRole('cell').nth(5).textContent()) >= 1, 'Marco has a completed job');
    await admin.page.getByRole('button', { name: 'Last 7 days' }).click();
    await admin.page.getByLabel('Per', { exact: true }).selectOption('week');
    await admin.page.waitForURL((u) => u.searchParams.get('bucket') === 'week' && u.searchParams.has('from'));
    const from = new URL(admin.page.url()).searchParams.get('from');
    await admin.page.reload();
    assert.equal(await admin.page.getByLabel('From', { exact: true }).inputValue(), from);
    assert.equal(await admin.page.getByLabel('Per', { exact: true }).inputValue(), 'week');
    // A part of a date deleted is not applied: the field shows the range again.
    await admin.page.getByLabel('From', { exact: true }).focus();
    await admin.page.keyboard.press('Backspace');
    assert.equal(await admin.page.getByLabel('From', { exact: true }).inputValue(), from);
    assert.equal(new URL(admin.page.url()).searchParams.get('from'), from);
    await admin.page
      .getByRole('region', { name: 'Providers, as a table' })
      .getByRole('row', { name: /Marco Rossi/ })
      .waitFor();
    await admin.shot('09-admin-dashboard');
    const [download] = await Promise.all([
      admin.page.waitForEvent('download'),
      admin.page.getByRole('link', { name: 'Download the providers as CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^analytics-providers-.*\.csv$/);
    const csv = await readFile(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /^provider_id,name,offers,accepts,rejects,expiries,no_shows,completed,rating_mean,rating_count/);
    assert.match(csv, /,Marco Rossi,\d+,\d+,\d+,\d+,\d+,[1-9]\d*,4\.00,1\n/);

    // On a phone the week's demand runs hours down the side, and fits without scrolling.
    const demand = admin.page.getByRole('region', { name: 'Bookings by weekday and hour' });
    const columns = () => demand.getByRole('columnheader').allTextContents();
    assert.equal((await columns()).length, 24);
    await admin.page.setViewportSize({ width: 390, height: 844 });
    await demand.getByRole('rowheader', { name: '23', exact: true }).waitFor();
    assert.deepEqual(await columns(), ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    const fits = await demand.evaluate((el) => el.scrollWidth <= el.clientWidth);
    assert.ok(fits, 'the heatmap scrolls sideways on a phone');
    await admin.shot('10-admin-demand-phone');
    await admin.page.setViewportSize({ width: 1280, height: 860 });

    for (const p of [customer, provider, admin]) p.assertClean();
  });

  test('a booking every provider turns down dies, the admin adds a provider and retries it', { timeout: 180_000 }, async () => {
    const customer = await person('customer-b');
    await signIn(customer, 'customer@example.com');
    const id = await bookThroughForm(customer, { service: 'cleaning', address: '7 Overgrown Road', days: 3, hour: 9 });

    // Both cleaners turn it down; then nobody is left to ask, and the job dies after its fourth attempt.
    for (const cleaner of ['chen@example.com', 'dana@example.com']) {
      await rejectWhenOffered(api, await api.login(cleaner), id);
    }

    // The admin watches the jobs page (dead jobs unless it is told otherwise); the job
    // appears there once its four attempts failed.
    const admin = await person('admin-b');
    await signIn(admin, 'admin@example.com');
    const jobsLink = admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true });
    await jobsLink.click();
    const row = admin.page.locator(`[data-testid=job-row][data-booking-id="${id}"]`);
    await row.waitFor({ timeout: 20_000 });
    assert.equal(await row.getAttribute('data-state'), 'dead');
    assert.match(await row.textContent(), /find a provider/);
    assert.match(await row.textContent(), /4 of 4/);
    assert.match(await row.textContent(), /no eligible provider for cleaning/);
    await admin.shot('07-dead-jobs');
    // The customer's open page says so too.
    await customer.page.getByTestId('assignment-exhausted').waitFor();
    const jobId = Number(await row.getAttribute('data-job-id'));

    // The job's page: each of its four runs failed (two offers turned down, then nobody left).
    await row.getByRole('link', { name: `Open job ${jobId}`, exact: true }).click();
    await admin.page.locator('[data-testid=job-detail][data-state=dead]').waitFor();
    assert.deepEqual(await admin.page.getByTestId('job-run').evaluateAll((rows) => rows.map((r) => r.dataset.outcome)), [
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
    assert.match(await admin.page.getByTestId('job-run').last().textContent(), /no eligible provider for cleaning/);
    await admin.shot('07-dead-job');

    // The admin adds a cleaner.
    await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Providers' }).click();
    await admin.page.getByLabel('Name', { exact: true }).fill('Gina Green');
    await admin.page.getByLabel('E-mail', { exact: true }).fill('gina@example.com');
    await admin.page.getByLabel('Phone (optional)').fill('+1 555 010 0142');
    await admin.page.getByLabel('Rating (optional, 0–5)').fill('4.9');
    await admin.page.getByLabel('Password (optional)').fill('garden1234');
    await admin.page.getByRole('group', { name: 'Services offered' }).getByLabel('Cleaning').check();
    await admin.page.getByRole('button', { name: 'Add provider' }).click();
    await admin.page.getByTestId('provider-created').getByText('Added Gina Green').waitFor();
    await admin.page.getByTestId('provider-row').filter({ hasText: 'Gina Green' }).waitFor();
    await admin.shot('08-providers');

    // ...and retries the dead job from its row.
    await jobsLink.click();
    await admin.page.getByRole('button', { name: `Retry job #${jobId}` }).click();
    await admin.page.getByTestId('action-report').getByText(`Retried job #${jobId}`).waitFor();
    await row.waitFor({ state: 'detached' });

    // The booking is assigned to Gina (the two who declined are not asked again): on the
    // admin's booking page and live on the customer's.
    await customer.page.locator(detail('assigned')).waitFor();
    await admin.page.goto(`/admin/bookings/${id}`);
    await admin.page.locator(detail('assigned')).waitFor();
    assert.equal(await admin.page.getByTestId('booking-provider').textContent(), 'Gina Green');

    // The queue overview shows both workers alive.
    await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Queue' }).click();
    await admin.page.getByRole('table', { name: 'Workers' }).waitFor();
    await waitInPage(admin.page, () => document.querySelectorAll('[data-testid=worker-row]').length >= 2);
    await admin.page.getByTestId('worker-row').filter({ hasText: 'running' }).nth(1).waitFor();
    await admin.shot('09-queue');

    for (const p of [customer, admin]) p.assertClean();
  });

  test("a customer cannot open another customer's booking", { timeout: 60_000 }, async () => {
    const token = await api.login('customer@example.com');
    const theirs = await api.post(
      '/bookings',
      token,
      {
        customer_name: 'Casey Customer',
        customer_phone: '+1 555 010 0100',
        customer_email: 'customer@example.com',
        service_type: 'cleaning',
        address: '3 Private Street',
        starts_at: slotStart(3, 14),
      },
      { 'Idempotency-Key': `e2e-${Date.now()}` },
    );

    const other = await person('other-customer', { width: 390, height: 844 });
    other.expectHttpError(401, '/api/v1/auth/me');
    await other.page.goto('/signup');
    await other.page.getByLabel('Your name').fill('Olive Other');
    await other.page.getByLabel('E-mail').fill('olive@example.com');
    await other.page.getByLabel('Password').fill('olive-pass-1');
    await other.page.getByRole('button', { name: 'Create account' }).click();
    await other.page.waitForURL('**/bookings');
    await other.page.getByText('You have no bookings yet').waitFor();

    other.expectHttpError(404, `/api/v1/bookings/${theirs.id}`);
    await other.page.goto(`/bookings/${theirs.id}`);
    await other.page.getByRole('alert').getByText(`Booking #${theirs.id} was not found`).waitFor();
    assert.equal(await other.page.getByText('3 Private Street').count(), 0);
    await other.shot('10-not-found-phone');

    other.assertClean();
  });

  test(
    'open pages follow a booking through an API restart without a reload, resuming from the last event id',
    { timeout: 120_000 },
    async () => {
      const EVENTS = '/api/v1/events';
      // The customer signs in; once the live indicator is on, their EventSource is connected.
      const customer = await person('customer-restart');
      const stream = await watchEventStreams(customer);
      await signIn(customer, 'customer@example.com');
      await customer.page.waitForURL('**/bookings');
      await customer.page.locator(liveIndicator('live')).waitFor();

      // A booking made elsewhere (the API) appears in their list live, and they open it in-app.
      const token = await api.login('customer@example.com');
      const booking = await api.post(
        '/bookings',
        token,
        {
          customer_name: 'Casey Customer',
          customer_phone: '+1 555 010 0100',
          customer_email: 'customer@example.com',
          service_type: 'electrical',
          address: '9 Spark Street',
          starts_at: slotStart(4, 11),
        },
        { 'Idempotency-Key': `e2e-restart-${Date.now()}` },
      );
      const id = booking.id;
      await customer.page
        .locator(`[data-testid=booking-card][data-booking-id="${id}"]`)
        .getByRole('link', { name: new RegExp(`^#${id} `) })
        .click();
      await customer.page.waitForURL(`**/bookings/${id}`);
      await customer.page.locator(detail('assigned')).waitFor();
      assert.ok(['Eli Brooks', 'Sam Okafor'].includes(await customer.page.getByTestId('booking-provider').textContent()));
      await customer.page.locator(liveIndicator('live')).waitFor();
      // The assignment reached the page through the stream, so the browser holds its event id.
      // (An event's data is its history row; its id is the feed position: the row's id on
      // SQLite, the writing transaction's on PostgreSQL.)
      const rowOf = (m) => (m.event === 'booking' ? JSON.parse(m.data).id : undefined);
      const assignedRow = (await api.get(`/bookings/${id}`, token)).history.find((h) => h.new_status === 'assigned');
      await until(
        () => stream.messages.some((m) => rowOf(m) === assignedRow.id && m.id !== ''),
        `the stream delivered history row ${assignedRow.id}`,
      );
      const lastSeen = stream.lastEventId();

      // A second window of the same customer loads the booking page afresh after the assignment:
      // its new stream starts at the newest row and has delivered no event (no event id) yet.
      const fresh = await person('customer-restart-fresh');
      const freshStream = await watchEventStreams(fresh);
      await signIn(fresh, 'customer@example.com');
      await fresh.page.goto(`/bookings/${id}`);
      await fresh.page.locator(detail('assigned')).waitFor();
      await fresh.page.locator(liveIndicator('live')).waitFor();
      await until(() => freshStream.messages.some((m) => m.event === 'ready'), "the fresh page's stream opened");

      const pages = [customer, fresh];
      for (const p of pages)
        await p.page.evaluate(() => {
          window.__sameDocument = true;
        });
      const urls = pages.map((p) => p.page.url());
      const marks = [stream, freshStream].map((s) => s.messages.length);
      const refused = new Map(pages.map((p) => [p, 0]));
      for (const p of pages) {
        p.page.on('requestfailed', (r) => {
          if (new URL(r.url()).pathname === EVENTS && r.failure()?.errorText === 'net::ERR_CONNECTION_REFUSED')
            refused.set(p, refused.get(p) + 1);
        });
      }
      const gates = await Promise.all(pages.map((p) => gateRequests(p, EVENTS)));

      let cancelRow;
      let restart;
      const began = Date.now();
      try {
        await customer.allowConnectionErrorsDuring(() =>
          fresh.allowConnectionErrorsDuring(async () => {
            restart = await system.restartApi({
              // While the API is down both pages notice, and their EventSources' retries are refused;
              // from then on their next reconnects wait at the gate until the change below is made.
              whileDown: async () => {
                for (const p of pages) await p.page.locator(liveIndicator('reconnecting')).waitFor();
                await until(
                  () => pages.every((p) => refused.get(p) > 0),
                  "both pages' EventSources tried to reconnect while the API was down",
                  20_000,
                );
                for (const g of gates) g.hold();
              },
            });
            // The API is back. The customer cancels (from elsewhere) before either page has reconnected.
            await api.patch(`/bookings/${id}/status`, token, { status: 'cancelled', reason: 'Fixed it myself' });
            cancelRow = (await api.get(`/bookings/${id}`, token)).history.find((h) => h.new_status === 'cancelled');
            for (const g of gates) g.release();
            // The page shows it without a reload, and is live again.
            await customer.page.locator(detail('cancelled')).waitFor({ timeout: 15_000 });
            for (const p of pages) await p.page.locator(liveIndicator('live')).waitFor({ timeout: 15_000 });
          }),
        );
      } finally {
        for (const g of gates) {
          g.release();
          await g.dispose();
        }
      }
      const shownAfter = Date.now() - began;
      await customer.page.getByTestId('timeline-row').filter({ hasText: 'Fixed it myself' }).waitFor();
      await customer.shot('11-reconnected');

      assert.equal(restart.exit.killed, false, 'the API did not stop on SIGTERM within 5 s');
      assert.equal(restart.exit.code, 0, `the API exited with ${JSON.stringify(restart.exit)} on SIGTERM`);
      assert.equal(customer.page.url(), urls[0]);
      assert.equal(await customer.page.evaluate(() => window.__sameDocument), true, 'the customer page was reloaded');
      // The reconnected stream resumed after the last event the page had seen: the server's
      // `ready` carries the cursor it resumed from, and the cancellation came as that row's event.
      const after = stream.messages.slice(marks[0]);
      const ready = after.find((m) => m.event === 'ready');
      assert.ok(ready, 'the customer page never reopened its stream');
      assert.equal(ready.data, lastSeen, `the reconnected stream started at ${ready.data}, not after the last event seen (${lastSeen})`);
      assert.ok(
        after.some((m) => rowOf(m) === cancelRow.id && m.stream === ready.stream),
        'the cancellation did not come through the resumed stream',
      );
      console.log(
        `API restart: stopped in ${restart.stoppedMs} ms, back after ${restart.downMs} ms; cancellation shown ${shownAfter} ms after the restart began; ` +
          `reconnects held at the gate: ${gates.map((g) => g.held.length).join('/')}; connection errors tolerated: ${customer.toleratedErrors().length}/${fresh.toleratedErrors().length}`,
      );

      // A page whose stream had delivered no booking event resumes too: `ready` carries an id.
      const freshAfter = freshStream.messages.slice(marks[1]);
      const freshReady = freshAfter.find((m) => m.event === 'ready');
      await fresh.page
        .locator(detail('cancelled'))
        .waitFor({ timeout: 15_000 })
        .catch(async () => {
          const shown = await fresh.page.getByTestId('booking-detail').getAttribute('data-status');
          throw new Error(
            `the fresh page still shows "${shown}" ${Date.now() - began} ms after the restart began; its reconnected stream started at row ${freshReady?.data} (the cancellation is row ${cancelRow.id}) and delivered ${freshAfter.filter((m) => m.event === 'booking').length} booking events`,
          );
        });
      assert.equal(await fresh.page.evaluate(() => window.__sameDocument), true, 'the fresh page was reloaded');

      for (const p of pages) p.assertClean();
    },
  );

  test(
    "time: a provider's working hours shape the slots a customer is offered; the admin sees why; the customer moves the booking",
    { timeout: 180_000 },
    async () => {
      // Nobody offers HVAC yet: the form does not offer it.
      const customer = await person('customer-time');
      await signIn(customer, 'customer@example.com');
      await customer.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Book a service' }).click();
      const service = customer.page.getByLabel('Service', { exact: true });
      await service.waitFor();
      assert.equal(await service.locator('option[value=hvac]').count(), 0);
      assert.match(await customer.page.getByText('Not offered right now').textContent(), /Heating and air conditioning/);

      // The admin adds an HVAC technician with a login.
      const admin = await person('admin-time');
      await signIn(admin, 'admin@example.com');
      await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Providers' }).click();
      await admin.page.getByLabel('Name', { exact: true }).fill('Hana Hart');
      await admin.page.getByLabel('E-mail', { exact: true }).fill('hana@example.com');
      await admin.page.getByLabel('Password (optional)').fill('heat-pump-1');
      await admin.page.getByRole('group', { name: 'Services offered' }).getByLabel('Heating and air conditioning').check();
      await admin.page.getByRole('button', { name: 'Add provider' }).click();
      await admin.page.getByTestId('provider-created').getByText('Added Hana Hart').waitFor();

      // Hana sets her hours: Monday to Friday, 9 to 5, in Berlin.
      const hana = await person('hana');
      await signIn(hana, 'hana@example.com', 'heat-pump-1');
      await hana.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Working hours' }).click();
      await hana.page.getByText('You have not set working hours yet').waitFor();
      await hana.page.getByLabel('Time zone').fill('Europe/Berlin');
      await hana.page.getByRole('button', { name: 'Fill Monday to Friday, 9 to 5' }).click();
      await hana.page.getByRole('button', { name: 'Save working hours' }).click();
      await hana.page.getByText('Working hours saved.').waitFor();
      // The form is rebuilt from what was saved, and the keyboard stays on its button.
      await hana.page.waitForFunction(() => document.activeElement?.textContent === 'Save working hours', null, { timeout: 2000 });
      await hana.shot('11-provider-calendar');

      // The customer's form now offers HVAC, at the times Hana works only: weekdays, starts
      // from 09:00 to 14:00 Berlin time (a visit lasts 3 hours and must end by 17:00).
      await customer.page.reload();
      await service.selectOption('hvac');
      // The week's slots arrive (the day list shows once they have).
      await customer.page.getByLabel('Day', { exact: true }).waitFor();
      const days = await customer.page
        .getByLabel('Day', { exact: true })
        .locator('option')
        .evaluateAll((os) => os.map((o) => o.value));
      assert.ok(days.length >= 3, `expected several days of slots, got ${days}`);
      const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit' });
      // A week from now holds every weekday once; the first and last of them may be cut short
      // (by the lead time, by the week's end): the second and third are whole days.
      const day = days[1];
      await customer.page.getByLabel('Day', { exact: true }).selectOption(day);
      const starts = await customer.page.locator('input[name=starts_at]').evaluateAll((is) => is.map((i) => i.value));
      const local = starts.map((iso) => berlin.format(new Date(iso)));
      for (const l of local) assert.doesNotMatch(l, /Sat|Sun/);
      assert.match(local[0], /09:00/);
      assert.match(local[local.length - 1], /14:00/);
      assert.equal(starts.length, 11);
      await customer.page.locator(`input[name=starts_at][value="${starts[0]}"]`).check();
      await customer.page.getByLabel('Phone', { exact: true }).fill('+1 555 010 0199');
      await customer.page.getByLabel('Address', { exact: true }).fill('4 Chilly Close');
      await customer.shot('12-slot-picker');
      await customer.page.getByRole('button', { name: 'Book service' }).click();
      await customer.page.waitForURL(/\/bookings\/\d+$/);
      const id = Number(/\/bookings\/(\d+)$/.exec(customer.page.url())[1]);
      await customer.page.locator(detail('assigned')).waitFor();
      assert.equal(await customer.page.getByTestId('booking-provider').textContent(), 'Hana Hart');

      // Hana finds it on her agenda, under its day, and accepts it.
      await hana.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My jobs' }).click();
      const card = hana.page.locator(`[data-testid=provider-booking][data-booking-id="${id}"]`);
      await card.getByRole('button', { name: 'Accept' }).click();
      await hana.page.getByTestId('toast').getByText(`Booking #${id} accepted.`).waitFor();
      await customer.page.locator(detail('accepted')).waitFor();

      // The admin asks why Hana: she was the one candidate, chosen.
      await admin.page.goto(`/admin/bookings/${id}`);
      await admin.page.locator(detail('accepted')).waitFor();
      const why = admin.page.getByTestId('why-panel').first();
      await why.locator('summary').click();
      assert.match(await why.locator('summary').textContent(), /Why Hana Hart/);
      const chosen = why.locator('[data-testid=candidate][data-chosen=true]');
      assert.match(await chosen.textContent(), /Hana Hart — chosen/);
      await admin.shot('13-why');

      // The customer moves it to the first start of another day: Hana is free then, so she
      // keeps it, and is asked to accept again.
      await customer.page.getByRole('button', { name: 'Move to another time' }).click();
      await customer.page.getByLabel('Day', { exact: true }).selectOption(days[2]);
      const other = await customer.page.locator('input[name=starts_at]').first().getAttribute('value');
      await customer.page.locator(`input[name=starts_at][value="${other}"]`).check();
      await customer.page.getByRole('button', { name: 'Move booking' }).click();
      await customer.page.locator(detail('assigned')).waitFor();
      assert.equal(await customer.page.getByTestId('booking-when').getAttribute('datetime'), other);
      assert.equal(await customer.page.getByTestId('booking-provider').textContent(), 'Hana Hart');
      await card.getByRole('button', { name: 'Accept' }).waitFor();

      for (const p of [customer, admin, hana]) p.assertClean();
    },
  );
});
