import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { keys } from '../../api/queryKeys';
import { json, mockApi, renderWithProviders, signedIn } from '../../test/render';
import { ToastProvider } from '../../ui/Toast';
import { AccountPage, detailChanges, validateDetails } from './AccountPage';

function renderPage(role: 'customer' | 'provider' = 'customer') {
  return renderWithProviders(
    <ToastProvider>
      <AccountPage />
    </ToastProvider>,
    { route: '/account', as: role },
  );
}

describe('the account page', () => {
  it('sends only what changed, and asks for the password only when the e-mail changes', async () => {
    const { calls } = mockApi({
      'PATCH /api/v1/auth/me': (init) => json(200, { ...signedIn('customer'), ...JSON.parse(String(init.body)) }),
    });
    const user = userEvent.setup();
    const { client } = renderPage();
    const name = screen.getByLabelText('Your name');
    expect(name).toHaveValue('Casey Customer');
    expect(screen.queryByLabelText('Your password')).toBeNull();

    await user.clear(name);
    await user.type(name, ' Casey Quinn ');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([{ name: 'Casey Quinn' }]);
    // The header and every page read who is signed in from here.
    expect(client.getQueryData(keys.me)).toMatchObject({ name: 'Casey Quinn' });

    const email = screen.getByLabelText('E-mail');
    await user.clear(email);
    await user.type(email, 'casey@example.org');
    const password = screen.getByLabelText('Your password');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    expect(password).toHaveFocus();
    expect(password).toHaveAccessibleDescription('Enter your current password to change your e-mail.');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);

    await user.type(password, 'secret-password');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    expect(await screen.findByText('Saved. Sign in with casey@example.org from now on.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH').at(-1)?.body).toEqual({
      email: 'casey@example.org',
      current_password: 'secret-password',
    });
  });

  it('says a wrong password and a taken e-mail at their fields', async () => {
    let answer = json(422, {
      error: {
        code: 'validation_failed',
        message: 'some fields are invalid',
        details: { fields: { current_password: 'this is not your current password' } },
      },
    });
    mockApi({ 'PATCH /api/v1/auth/me': () => answer });
    const user = userEvent.setup();
    renderPage();
    const email = screen.getByLabelText('E-mail');
    await user.clear(email);
    await user.type(email, 'customer2@example.com');
    await user.type(screen.getByLabelText('Your password'), 'not-it');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    const password = screen.getByLabelText('Your password');
    expect(await screen.findByRole('alert')).toHaveTextContent('This is not your current password.');
    expect(password).toHaveFocus();

    answer = json(409, { error: { code: 'duplicate_email', message: 'an account with this e-mail already exists', details: {} } });
    await user.type(password, '-really');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('E-mail: An account with this e-mail already exists.');
    expect(screen.getByLabelText('E-mail')).toHaveFocus();
  });

  it('tells a provider that dispatch keeps their name and e-mail', () => {
    mockApi({});
    renderPage('provider');
    expect(screen.getByText(/Dispatch keeps your name and e-mail on your provider record/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save details' })).toBeNull();
  });

  it('asks for the password only once there is a new address', () => {
    expect(validateDetails('Casey', ' ', true, '')).toEqual({ email: 'Enter your e-mail address.' });
    expect(validateDetails('', 'c@example.org', true, '')).toEqual({
      name: 'Enter your name.',
      current_password: 'Enter your current password to change your e-mail.',
    });
    expect(validateDetails('Casey', 'c@example.org', true, 'pw')).toEqual({});
  });

  it('counts an address in another case as no change', () => {
    const user = { name: 'Casey', email: 'casey@example.com' };
    expect(detailChanges(user, ' Casey ', 'Casey@Example.com ')).toEqual({ name: undefined, email: undefined });
    expect(detailChanges(user, 'Casey Q', 'c@example.com')).toEqual({ name: 'Casey Q', email: 'c@example.com' });
  });
});
