import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { SignInPage } from './SignInPage';

const demo = {
  enabled: true,
  logins: [
    { role: 'admin', name: 'Ada Admin', email: 'admin@example.com', password: 'demo1234' },
    { role: 'provider', name: 'Priya Patel', email: 'priya@example.com', password: 'demo1234' },
  ],
};
const signedOut = () => json(401, { error: { code: 'unauthenticated', message: 'sign in first', details: {} } });

function renderPage() {
  return renderWithProviders(
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/provider" element={<p>provider home</p>} />
    </Routes>,
    { route: '/signin' },
  );
}

describe('the sign-in page', () => {
  it('lists the demo logins and fills the form from one', async () => {
    mockApi({ 'GET /api/v1/auth/me': signedOut, 'GET /api/v1/auth/demo': () => json(200, demo) });
    const user = userEvent.setup();
    renderPage();
    const table = await screen.findByRole('table');
    expect(table).toHaveTextContent('priya@example.com');
    expect(table).toHaveTextContent('Priya Patel');
    await user.click(screen.getByRole('button', { name: 'Use priya@example.com' }));
    expect(screen.getByLabelText('E-mail')).toHaveValue('priya@example.com');
    expect(screen.getByLabelText('Password')).toHaveValue('demo1234');
    expect(screen.getByLabelText('E-mail')).toHaveFocus();
  });

  it('opens with focus in the e-mail field', async () => {
    mockApi({ 'GET /api/v1/auth/me': signedOut, 'GET /api/v1/auth/demo': () => json(200, demo) });
    renderPage();
    expect(screen.getByLabelText('E-mail')).toHaveFocus();
  });

  it('shows no demo table when the demo is off', async () => {
    mockApi({ 'GET /api/v1/auth/me': signedOut, 'GET /api/v1/auth/demo': () => json(200, { enabled: false, logins: [] }) });
    renderPage();
    await screen.findByRole('heading', { name: 'Sign in' });
    await waitFor(() => expect(screen.queryByRole('table')).toBeNull());
  });

  it('says why a sign-in failed, and sends a provider to their page when it works', async () => {
    let attempts = 0;
    mockApi({
      'GET /api/v1/auth/me': signedOut,
      'GET /api/v1/auth/demo': () => json(200, demo),
      'POST /api/v1/auth/login': () =>
        ++attempts === 1
          ? json(401, { error: { code: 'invalid_credentials', message: 'the e-mail or password is wrong', details: {} } })
          : json(200, {
              token: 't',
              expires_at: '2030-01-01T00:00:00Z',
              user: { id: 3, email: 'priya@example.com', name: 'Priya Patel', role: 'provider', provider_id: 1, created_at: '' },
            }),
    });
    const user = userEvent.setup();
    renderPage();
    await user.type(screen.getByLabelText('E-mail'), 'priya@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The e-mail or password is wrong.');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('provider home')).toBeInTheDocument();
  });

  it('checks an empty form in the browser: focus on the first empty field, a summary announced, nothing sent', async () => {
    const { calls } = mockApi({ 'GET /api/v1/auth/me': signedOut, 'GET /api/v1/auth/demo': () => json(200, demo) });
    const user = userEvent.setup();
    renderPage();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const email = screen.getByLabelText('E-mail');
    expect(email).toHaveFocus();
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('Enter your e-mail address.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Enter your e-mail address.');
    expect(alert).toHaveTextContent('Enter your password.');
    expect(alert).not.toHaveTextContent(/wrong/);

    // With the e-mail given, the password is what is missing, and where focus goes.
    await user.type(email, 'priya@example.com');
    expect(email).not.toHaveAttribute('aria-invalid');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('Password')).toHaveFocus();
    expect(screen.getByRole('alert')).toHaveTextContent('Enter your password.');
    expect(screen.getByRole('alert')).not.toHaveTextContent('Enter your e-mail address.');
    expect(calls.filter((c) => c.url.includes('/auth/login'))).toHaveLength(0);
  });

  it('says whom to ask for a new password', async () => {
    mockApi({ 'GET /api/v1/auth/me': signedOut, 'GET /api/v1/auth/demo': () => json(200, { enabled: false, logins: [] }) });
    const user = userEvent.setup();
    renderPage();
    const forgot = await screen.findByText('Forgot your password?');
    expect(screen.getByTestId('forgot-password')).not.toHaveAttribute('open');
    await user.click(forgot);
    expect(screen.getByTestId('forgot-password')).toHaveAttribute('open');
    expect(screen.getByTestId('forgot-password')).toHaveTextContent(/reset link/);
  });
});
