// Sessions that end, in the browser: an open page notices at once when its session ends
// elsewhere, says "Signed out", and signing in again in place keeps what was typed; a
// password changed on the account page; an admin disables an account (its open page is
// signed out, and sign-in is refused) and hands out a one-time reset link that works once;
// Back after signing out opens the sign-in page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openPerson, signIn, signOut } from './support/browser.mjs';
import { apiClient, startSystem } from './support/system.mjs';

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

/** A new customer account, through the API; its e-mail. */
async function newCustomer(name, password) {
  const email = `${name.toLowerCase()}-${Date.now()}@example.com`;
  await api.post('/auth/register', undefined, { name, email, password });
  return email;
}

describe('sessions', () => {
  test('a page whose session ends elsewhere says so at once, and signing in again keeps the typed form', { timeout: 90_000 }, async () => {
    const email = await newCustomer('Nell', 'nell-password-1');
    const form = await person('nell-form');
    await signIn(form, email, 'nell-password-1');
    await form.page.goto('/bookings/new');
    await form.page.getByTestId('live-indicator').and(form.page.locator('[data-state=live]')).waitFor();
    const notes = form.page.getByLabel('Notes (optional)');
    await notes.fill('Ring twice, the bell is quiet.');

    // The same person, on another device: signs out everywhere from the account page.
    const phone = await person('nell-phone');
    await signIn(phone, email, 'nell-password-1');
    await phone.page.goto('/account');
    await phone.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    const started = Date.now();
    await phone.page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await phone.page.waitForURL((u) => u.pathname.startsWith('/signin'));

    // The open form learns it from its event stream, not from a failed submit.
    form.expectHttpError(401, '/api/v1/');
    const dialog = form.page.getByTestId('signin-again');
    await dialog.getByRole('heading', { name: 'You were signed out' }).waitFor();
    const noticed = Date.now() - started;
    assert.equal(await form.page.getByTestId('live-indicator').getAttribute('data-state'), 'signed-out');
    await form.shot('sessions-signed-out');
    await dialog.getByLabel('Password').fill('nell-password-1');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await notes.inputValue(), 'Ring twice, the bell is quiet.');
    assert.match(new URL(form.page.url()).pathname, /^\/bookings\/new$/);
    await form.page.locator('[data-testid=live-indicator][data-state=live]').waitFor();
    console.log(`the open page showed "signed out" ${noticed} ms after "sign out everywhere"`);
    form.assertClean();
    phone.assertClean();
  });

  test('Back after signing out opens the sign-in page, not the page that was left', { timeout: 60_000 }, async () => {
    const email = await newCustomer('Otto', 'otto-password-1');
    const otto = await person('otto');
    await signIn(otto, email, 'otto-password-1');
    await otto.page.getByRole('heading', { name: 'My bookings' }).waitFor();
    // Another page load, so that Back goes to the first document, not within this one.
    await otto.page.goto('/bookings/new');
    await otto.page.getByRole('heading', { name: 'Book a service' }).waitFor();
    await signOut(otto);

    otto.expectHttpError(401, '/api/v1/auth/me');
    await otto.page.goBack();
    await otto.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(new URL(otto.page.url()).pathname, /^\/signin/);
    assert.equal(await otto.page.getByTestId('signin-again').count(), 0);
    assert.equal(await otto.page.getByText('Otto', { exact: false }).count(), 0);
    otto.assertClean();
  });

  test('a password change ends the other sessions and the old password', { timeout: 60_000 }, async () => {
    const email = await newCustomer('Otto', 'otto-password-1');
    const other = await api.login(email, 'otto-password-1');
    const me = await person('otto');
    await signIn(me, email, 'otto-password-1');
    await me.page.goto('/account');
    await me.page.getByLabel('Current password').fill('not-my-password');
    await me.page.getByLabel('New password', { exact: true }).fill('otto-password-2');
    await me.page.getByLabel('New password again').fill('otto-password-2');
    me.expectHttpError(422, '/api/v1/auth/password');
    await me.page.getByRole('button', { name: 'Change password' }).click();
    await me.page.getByRole('alert').getByText('not your current password').waitFor();
    await me.page.getByLabel('Current password').fill('otto-password-1');
    await me.page.getByRole('button', { name: 'Change password' }).click();
    await me.page.getByTestId('toast').getByText('Password changed').waitFor();
    await me.shot('sessions-password-changed');
    await assert.rejects(api.get('/auth/me', other), /401/);
    await assert.rejects(api.login(email, 'otto-password-1'), /401/);
    await api.login(email, 'otto-password-2');
    // This page's session goes on.
    await me.page.goto('/bookings');
    await me.page.getByRole('heading', { name: 'My bookings' }).waitFor();
    me.assertClean();
  });

  test(
    'an admin disables an account (its open page is signed out) and hands out a reset link that works once',
    { timeout: 90_000 },
    async () => {
      const email = await newCustomer('Pia', 'pia-password-1');
      const pia = await person('pia');
      await signIn(pia, email, 'pia-password-1');
      await pia.page.getByRole('heading', { name: 'My bookings' }).waitFor();

      const admin = await person('admin-accounts');
      await signIn(admin, 'admin@example.com');
      await admin.page.getByRole('link', { name: 'Accounts' }).click();
      await admin.page.getByLabel('Name or e-mail').fill(email);
      await admin.page.getByRole('button', { name: 'Search' }).click();
      const row = admin.page.getByRole('row', { name: new RegExp(email) });
      // Signed in twice: when the account was made, and in Pia's browser.
      await row.getByText('2 devices').waitFor();
      await row.getByRole('button', { name: 'Disable' }).click();
      await admin.page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
      await row.getByText(/^Disabled/).waitFor();
      await admin.shot('sessions-accounts-disabled');

      pia.expectHttpError(401, '/api/v1/');
      pia.expectHttpError(403, '/api/v1/auth/login');
      const dialog = pia.page.getByTestId('signin-again');
      await dialog.getByRole('heading', { name: 'You were signed out' }).waitFor();
      await dialog.getByLabel('Password').fill('pia-password-1');
      await dialog.getByRole('button', { name: 'Sign in' }).click();
      await dialog.getByText('This account is disabled').waitFor();

      // Enabled again, with a reset link for the password Pia forgot.
      await row.getByRole('button', { name: 'Enable' }).click();
      await row.getByText('Active').waitFor();
      await row.getByRole('button', { name: 'Reset link' }).click();
      const url = await admin.page.getByLabel('Reset link').inputValue();
      assert.match(url, /\/reset-password#token=[0-9a-f]{64}$/);
      // The link, shown above the table, has focus, selected for copying.
      const focused = await admin.page.evaluate(() => {
        const el = document.activeElement;
        return [el?.getAttribute('aria-label'), el?.selectionStart, el?.selectionEnd];
      });
      assert.deepEqual(focused, ['Reset link', 0, url.length]);

      const visitor = await person('pia-reset');
      visitor.expectHttpError(401, '/api/v1/auth/me');
      await visitor.page.goto(url);
      await visitor.page.getByLabel('New password', { exact: true }).fill('pia-password-2');
      await visitor.page.getByLabel('New password again').fill('pia-password-2');
      await visitor.page.getByRole('button', { name: 'Set password' }).click();
      await visitor.page.getByText('Your new password is set').waitFor();
      await visitor.shot('sessions-reset-done');
      await signIn(visitor, email, 'pia-password-2');
      await visitor.page.getByRole('heading', { name: 'My bookings' }).waitFor();

      // The link worked once.
      const again = await person('pia-reset-again');
      again.expectHttpError(401, '/api/v1/auth/me');
      again.expectHttpError(422, '/api/v1/auth/reset');
      await again.page.goto(url);
      await again.page.getByLabel('New password', { exact: true }).fill('pia-password-3');
      await again.page.getByLabel('New password again').fill('pia-password-3');
      await again.page.getByRole('button', { name: 'Set password' }).click();
      await again.page.getByRole('alert').getByText('already used').waitFor();
      for (const p of [pia, admin, visitor, again]) p.assertClean();
    },
  );
});
