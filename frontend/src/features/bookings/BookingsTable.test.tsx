import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { BookingPage } from '../../api/types';
import { booking, provider } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { BookingsTable } from './BookingsTable';

function Page() {
  return (
    <>
      <BookingsTable />
      <output data-testid="address">{useLocation().search || null}</output>
    </>
  );
}

const page = (over: Partial<BookingPage> = {}): BookingPage =>
  ({ items: [booking({ id: 7 }), booking({ id: 8, provider_id: 2 })], next_cursor: null, total: 2, ...over }) as BookingPage;

const routes = () => ({
  'GET /api/v1/bookings': () => json(200, page()),
  'GET /api/v1/providers': () => json(200, [provider({ id: 1, name: 'Priya' }), provider({ id: 2, name: 'Paul' })]),
  'GET /api/v1/service-types': () =>
    json(200, [
      { name: 'plumbing', label: 'Plumbing', duration_minutes: 120, providers: 2 },
      { name: 'cleaning', label: 'Cleaning', duration_minutes: 180, providers: 1 },
    ]),
  'GET /api/v1/auth/me': () => json(200, { id: 1, name: 'Ada', email: 'admin@example.com', role: 'admin', provider_id: null }),
  'GET /api/v1/admin/analytics': () => json(200, { time_zone: 'Europe/Berlin' }),
});

const lastList = (calls: { url: string }[]) =>
  new URL([...calls].reverse().find((c) => c.url.startsWith('/api/v1/bookings?'))!.url, 'http://x').searchParams;

describe("the admin's bookings list", () => {
  it('filters by service and says how many bookings match on every page, not only those shown', async () => {
    const { calls } = mockApi({
      ...routes(),
      'GET /api/v1/bookings': (init) =>
        json(200, new URL(init.url, 'http://x').searchParams.get('service_type') ? page({ total: 57, next_cursor: '1.8' }) : page()),
    });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin' });
    expect(await screen.findByTestId('booking-total')).toHaveTextContent(/^2 bookings$/);
    await user.selectOptions(await screen.findByLabelText('Service'), 'Cleaning');
    expect(screen.getByTestId('address')).toHaveTextContent('?service_type=cleaning');
    expect(await screen.findByText('57 bookings')).toBeInTheDocument();
    expect(screen.getByTestId('booking-total')).toHaveTextContent('57 bookings · 2 shown');
    expect(lastList(calls).get('service_type')).toBe('cleaning');
    expect(screen.getByRole('button', { name: 'Load more' })).toBeInTheDocument();
  });

  it('lists the bookings waiting for an operator, from the status choice, and back to a status', async () => {
    const { calls } = mockApi(routes());
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin' });
    await screen.findByTestId('booking-total');
    await user.selectOptions(screen.getByLabelText('Status'), 'Waiting for an operator');
    expect(screen.getByTestId('address')).toHaveTextContent('?waiting=1');
    await waitFor(() => expect(lastList(calls).get('waiting')).toBe('true'));
    expect(lastList(calls).get('status')).toBeNull();
    await user.selectOptions(screen.getByLabelText('Status'), 'Pending');
    expect(screen.getByTestId('address')).toHaveTextContent('?status=pending');
    await waitFor(() => expect(lastList(calls).get('status')).toBe('pending'));
    expect(lastList(calls).get('waiting')).toBeNull();
  });

  it('filters by provider, by the days it starts on (in the service area’s zone) and sorts, all in the address', async () => {
    const { calls } = mockApi(routes());
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin?status=assigned&q=leaky' });
    await screen.findAllByTestId('admin-booking-row');
    // What the address holds is asked for, and in the fields.
    expect(lastList(calls).get('status')).toBe('assigned');
    expect(lastList(calls).get('q')).toBe('leaky');
    expect(screen.getByLabelText('Search')).toHaveValue('leaky');

    await user.selectOptions(await screen.findByLabelText('Provider'), 'Paul');
    expect(screen.getByTestId('address')).toHaveTextContent('?status=assigned&q=leaky&provider_id=2');
    await waitFor(() => expect(lastList(calls).get('provider_id')).toBe('2'));

    await user.type(screen.getByLabelText('Starts from'), '2030-01-05');
    await user.type(screen.getByLabelText('Starts until'), '2030-01-06');
    await user.selectOptions(screen.getByLabelText('Order'), 'Soonest start first');
    expect(screen.getByTestId('address')).toHaveTextContent('provider_id=2&from=2030-01-05&to=2030-01-06&order=starts_at');
    // Berlin is an hour ahead of UTC in January; the last day is included.
    await waitFor(() => expect(lastList(calls).get('order')).toBe('starts_at'));
    expect(lastList(calls).get('from')).toBe('2030-01-04T23:00:00.000Z');
    expect(lastList(calls).get('to')).toBe('2030-01-06T23:00:00.000Z');
    expect(screen.getByTestId('booking-total')).toHaveTextContent('in Europe/Berlin');

    // Clear takes every filter and the order away.
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    expect(screen.getByTestId('address')).toBeEmptyDOMElement();
    expect(within(screen.getByRole('search')).getByLabelText('Provider')).toHaveValue('');
  });
});
