import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role } from '../api/types';
import { bookingDetail, provider } from '../test/fixtures';
import { json, mockApi, renderWithProviders } from '../test/render';
import { ToastProvider } from '../ui/Toast';
import { AppRoutes } from './App';

const priya = provider({ id: 1, name: 'Priya Patel', active_bookings: 2 });
const marco = provider({ id: 2, name: 'Marco Rossi', email: 'marco@example.com' });
const gone = provider({ id: 3, name: 'Gina Gone', active: false, deactivated_at: '2030-01-01T09:00:00Z' });

const common = {
  'GET /api/v1/service-types': () => json(200, [{ name: 'plumbing', label: 'Plumbing', duration_minutes: 120, providers: 2 }]),
  'GET /api/v1/providers': () => json(200, [priya, marco, gone]),
  'GET /api/v1/providers/1/calendar': () =>
    json(200, { provider_id: 1, time_zone: 'UTC', set: true, weekly: [{ weekday: 'mon', start: '09:00', end: '17:00' }], exceptions: [] }),
  'GET /api/v1/providers/1/reviews': () => json(200, { items: [], next_cursor: null }),
  'GET /api/v1/bookings': () => json(200, { items: [], next_cursor: null, total: 0 }),
};

/** An accepted booking that Priya holds, whose every move the page could offer. */
const held = bookingDetail({
  id: 7,
  status: 'accepted',
  provider_id: 1,
  provider_names: { '1': 'Priya Patel' },
  allowed_transitions: ['in_progress', 'cancelled', 'no_show'],
});

// The admin's pages load the dashboard's chart library, which asks the screen's pixel ratio.
beforeEach(() =>
  vi.stubGlobal('matchMedia', () => ({
    matches: false,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
  })),
);

function openAs(role: Role, route: string, routes: Parameters<typeof mockApi>[0] = {}) {
  const api = mockApi({ ...common, ...routes });
  const user = userEvent.setup();
  renderWithProviders(
    <ToastProvider>
      <AppRoutes />
    </ToastProvider>,
    { route, as: role },
  );
  return { ...api, user };
}

describe('the operator console for a viewer', () => {
  it('has the admin’s pages but Accounts, and says Read-only in the header', async () => {
    openAs('viewer', '/admin');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(
      within(nav)
        .getAllByRole('link')
        .map((l) => l.textContent),
    ).toEqual(['Bookings', 'Jobs', 'Providers', 'Queue', 'Analytics', 'Audit']);
    expect(screen.getByTestId('read-only')).toHaveTextContent('Read-only');
    expect(await screen.findByRole('heading', { level: 1, name: 'Bookings' })).toBeInTheDocument();
  });

  it('is sent from the accounts page to the bookings', async () => {
    openAs('viewer', '/admin/users');
    expect(await screen.findByRole('heading', { level: 1, name: 'Bookings' })).toBeInTheDocument();
  });

  it('shows a booking with its history and none of the admin’s moves, assign or override', async () => {
    openAs('viewer', '/admin/bookings/7', { 'GET /api/v1/bookings/7': () => json(200, held) });
    expect(await screen.findByTestId('booking-provider')).toHaveTextContent('Priya Patel');
    expect(screen.getByRole('heading', { name: 'History' })).toBeInTheDocument();
    for (const name of ['Moves', 'Reassign', 'Assign by hand', 'Override status']) {
      expect(screen.queryByRole('heading', { name })).toBeNull();
    }
    expect(within(screen.getByRole('main')).queryByRole('button')).toBeNull();
    expect(within(screen.getByRole('main')).queryByRole('combobox')).toBeNull();
  });

  it('shows a provider’s details and hours without the forms, switches or deactivation', async () => {
    openAs('viewer', '/admin/providers/1');
    expect(await screen.findByTestId('calendar-summary')).toHaveTextContent('Monday09:00–17:00');
    expect(screen.getByTestId('provider-contact')).toHaveTextContent('priya@example.com');
    expect(screen.queryByTestId('calendar-editor')).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Deactivate' })).toBeNull();
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.queryByRole('switch')).toBeNull();
    expect(screen.queryByRole('button', { name: /Save|Deactivate|Reactivate/ })).toBeNull();
  });

  it('lists the providers, the inactive marked, with nothing to add, switch or edit', async () => {
    openAs('viewer', '/admin/providers');
    const rows = await screen.findAllByTestId('provider-row');
    expect(rows).toHaveLength(3);
    expect(within(rows[2]).getByTestId('inactive-badge')).toHaveTextContent('Inactive');
    expect(within(rows[0]).queryByTestId('inactive-badge')).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Add a provider' })).toBeNull();
    expect(screen.queryByRole('switch')).toBeNull();
    expect(screen.queryByRole('button', { name: /Edit services/ })).toBeNull();
  });
});

describe('the operator console for an admin', () => {
  it('reassigns a booking another provider holds in one step, offering neither the holder nor the inactive', async () => {
    let now = held;
    const { calls, user } = openAs('admin', '/admin/bookings/7', {
      'GET /api/v1/bookings/7': () => json(200, now),
      'POST /api/v1/bookings/7/assign': () => {
        now = { ...held, status: 'assigned', provider_id: 2, provider_names: { '2': 'Marco Rossi' } };
        return json(200, now);
      },
    });
    expect(await screen.findByRole('heading', { name: 'Reassign' })).toBeInTheDocument();
    expect(screen.getByTestId('assign-holder')).toHaveTextContent('Priya Patel holds this booking (accepted)');
    const options = within(await screen.findByLabelText('Provider')).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual(['Choose a provider…', expect.stringMatching(/^Marco Rossi/)]);
    await user.selectOptions(screen.getByLabelText('Provider'), '2');
    await user.type(screen.getByLabelText('Reason (optional)'), 'Priya is ill');
    await user.click(screen.getByRole('button', { name: 'Reassign' }));
    expect(await screen.findByTestId('assign-done')).toHaveTextContent('Reassigned from Priya Patel to Marco Rossi.');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ provider_id: 2, reason: 'Priya is ill' });
    // The confirmation stays, now that Marco holds it.
    await waitFor(() => expect(screen.getByTestId('assign-holder')).toHaveTextContent('Marco Rossi holds this booking'));
    expect(screen.getByTestId('assign-done')).toBeInTheDocument();
  });

  it('edits a provider’s name, e-mail and phone, and deactivates them after saying their bookings go back to dispatch', async () => {
    const { calls, user } = openAs('admin', '/admin/providers/1', {
      'PATCH /api/v1/providers/1': (init) => json(200, { ...priya, ...JSON.parse(String(init.body)) }),
    });
    const name = await screen.findByLabelText('Name');
    await user.clear(name);
    await user.type(name, 'Priya P. Patel');
    await user.clear(screen.getByLabelText('E-mail'));
    await user.type(screen.getByLabelText('E-mail'), 'priya.patel@example.com');
    await user.type(screen.getByLabelText('Phone (optional)'), '+1 555 010 0123');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    expect(await screen.findByTestId('provider-saved')).toHaveTextContent('Saved Priya P. Patel’s details.');
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({
      name: 'Priya P. Patel',
      email: 'priya.patel@example.com',
      phone: '+1 555 010 0123',
    });

    await user.click(screen.getByRole('button', { name: 'Deactivate' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('Their open bookings (2 now) that have not started go back to dispatch');
    await user.click(within(dialog).getByRole('button', { name: 'Deactivate' }));
    expect(await screen.findByTestId('provider-activation-done')).toHaveTextContent('went back to dispatch');
    expect(calls.filter((c) => c.method === 'PATCH')[1].body).toEqual({ active: false });
  });
});
