import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { SignUpPage } from './SignUpPage';

const signedOut = () => json(401, { error: { code: 'unauthenticated', message: 'sign in first', details: {} } });

function renderPage() {
  return renderWithProviders(
    <Routes>
      <Route path="/signup" element={<SignUpPage />} />
      <Route path="/bookings" element={<p>my bookings</p>} />
    </Routes>,
    { route: '/signup' },
  );
}

describe('the sign-up page', () => {
  it('checks the form in the browser first and sends focus to what is missing', async () => {
    const { calls } = mockApi({ 'GET /api/v1/auth/me': signedOut });
    const user = userEvent.setup();
    renderPage();
    await user.type(screen.getByLabelText('Your name'), 'Olive Other');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByLabelText('E-mail')).toHaveFocus();
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('Enter your e-mail address.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Use at least 8 characters for your password.');
    expect(screen.getByRole('alert')).toHaveTextContent('Enter your e-mail address.');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('says a taken e-mail at the e-mail field and moves focus there', async () => {
    mockApi({
      'GET /api/v1/auth/me': signedOut,
      'POST /api/v1/auth/register': () =>
        json(409, { error: { code: 'duplicate_email', message: 'an account with this e-mail exists', details: {} } }),
    });
    const user = userEvent.setup();
    renderPage();
    await user.type(screen.getByLabelText('Your name'), 'Olive Other');
    await user.type(screen.getByLabelText('E-mail'), 'customer@example.com');
    await user.type(screen.getByLabelText('Password'), 'olive-pass-1');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('E-mail: An account with this e-mail exists.');
    expect(screen.getByLabelText('E-mail')).toHaveFocus();
    expect(screen.getByLabelText('E-mail')).toHaveAccessibleDescription('An account with this e-mail exists.');
    // Another address: the message is about the old one, and goes (the summary too).
    await user.type(screen.getByLabelText('E-mail'), 'x');
    expect(screen.getByLabelText('E-mail')).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByText(/An account with this e-mail exists/)).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
