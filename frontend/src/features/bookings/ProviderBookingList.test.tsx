import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { booking } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { keys } from '../../api/queryKeys';
import { ToastProvider } from '../../ui/Toast';
import { ProviderBookingList, ProviderHistory } from './ProviderBookingList';

const hour = 3600_000;
const at = (ms: number) => new Date(ms).toISOString();

describe("a provider's agenda", () => {
  it('holds every active job in time order, all pages of them, with the moves of each status and no request per card', async () => {
    const t = Date.now() + 3 * 86_400_000;
    const first = [
      booking({ id: 3, status: 'assigned', starts_at: at(t), ends_at: at(t + 2 * hour), offer_expires_at: at(Date.now() + 14 * 60_000) }),
      booking({ id: 2, status: 'accepted', starts_at: at(t + 3 * hour), ends_at: at(t + 5 * hour) }),
    ];
    const second = [booking({ id: 1, status: 'in_progress', starts_at: at(t + 86_400_000), ends_at: at(t + 86_400_000 + 2 * hour) })];
    const { calls } = mockApi({
      'GET /api/v1/bookings': ({ url }) =>
        new URL(url, 'http://x').searchParams.get('cursor')
          ? json(200, { items: second, next_cursor: null })
          : json(200, { items: first, next_cursor: 'next' }),
      'GET /api/v1/service-types': () => json(200, [{ name: 'plumbing', label: 'Plumbing', duration_minutes: 120, providers: 2 }]),
    });
    renderWithProviders(<ProviderBookingList />);
    const card = async (id: number) =>
      within(
        await waitFor(() => {
          const c = screen.getAllByTestId('provider-booking').find((x) => x.dataset.bookingId === String(id));
          if (!c) throw new Error(`no card #${id}`);
          return c;
        }),
      );
    const moves = async (id: number) => (await card(id)).queryAllByRole('button').map((b) => b.textContent);

    // The second page is fetched without anyone asking: no active job behind "load more".
    expect(await moves(1)).toEqual(['Complete', 'Customer absent']);
    expect(await moves(3)).toEqual(['Accept', 'Reject']);
    expect(await moves(2)).toEqual(['Start']);
    // The offer says how long is left to answer it; the accepted job has no deadline.
    expect((await card(3)).getByTestId('offer-deadline').textContent).toMatch(/^Answer within 14 min \(by /);
    expect((await card(2)).queryByTestId('offer-deadline')).toBeNull();
    expect(screen.getAllByTestId('provider-booking').map((c) => c.dataset.bookingId)).toEqual(['3', '2', '1']);
    expect(screen.getAllByTestId('agenda-day')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    // Phone and address are links a phone opens.
    expect((await card(3)).getByTestId('customer-phone')).toHaveAttribute('href', 'tel:+15550100199');
    expect((await card(3)).getByRole('link', { name: '12 Leaky Lane' })).toHaveAttribute(
      'href',
      expect.stringContaining('12%20Leaky%20Lane'),
    );

    const lists = calls.filter((c) => c.url.startsWith('/api/v1/bookings')).map((c) => new URL(c.url, 'http://x').searchParams);
    expect(lists).toHaveLength(2);
    expect(lists[0].get('active')).toBe('true');
    expect(lists[0].get('order')).toBe('starts_at');
  });

  it('puts today first under its own heading, and announces a job that arrives', async () => {
    // Later today in UTC (the booking's zone) whatever the time now: an hour from now
    // would be tomorrow in the last hour of the day.
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const soon = now.getTime() + Math.floor((midnight - now.getTime()) / 2);
    let items = [booking({ id: 5, status: 'accepted', starts_at: at(soon), ends_at: at(soon + 2 * hour) })];
    mockApi({
      'GET /api/v1/bookings': () => json(200, { items, next_cursor: null }),
      'GET /api/v1/service-types': () => json(200, [{ name: 'plumbing', label: 'Plumbing', duration_minutes: 120, providers: 2 }]),
    });
    const { client } = renderWithProviders(
      <ToastProvider>
        <ProviderBookingList />
      </ToastProvider>,
    );
    const day = await screen.findByTestId('agenda-day');
    expect(within(day).getByRole('heading').textContent).toMatch(/^Today/);

    items = [...items, booking({ id: 6, status: 'assigned', starts_at: at(soon + 86_400_000), ends_at: at(soon + 86_400_000 + 2 * hour) })];
    await act(() => client.invalidateQueries({ queryKey: keys.bookingLists }));
    expect(await screen.findByTestId('toast')).toHaveTextContent('New job #6: Plumbing');
  });
});

describe("a provider's record", () => {
  it('says how each job that is no longer theirs left them, without its contact details', async () => {
    const gone = (id: number, passed_on: 'declined' | 'lapsed' | 'taken_back' | null) =>
      booking({ id, status: 'assigned', provider_id: 9, customer_phone: '', customer_email: '', passed_on });
    mockApi({
      'GET /api/v1/bookings': () =>
        json(200, {
          items: [booking({ id: 5, status: 'completed' }), gone(4, 'declined'), gone(3, 'lapsed'), gone(2, 'taken_back'), gone(1, null)],
          next_cursor: null,
        }),
      'GET /api/v1/service-types': () => json(200, [{ name: 'plumbing', label: 'Plumbing', duration_minutes: 120, providers: 2 }]),
    });
    renderWithProviders(<ProviderHistory providerId={1} />);
    await waitFor(() => expect(screen.getAllByTestId('provider-booking')).toHaveLength(5));
    const said = (id: number) =>
      screen
        .getAllByTestId('provider-booking')
        .find((c) => c.dataset.bookingId === String(id))
        ?.querySelector('[data-testid="passed-on"]')?.textContent ?? null;
    expect(said(5)).toBeNull();
    expect(said(4)).toBe('No longer yours: you declined it.');
    expect(said(3)).toBe('No longer yours: you did not answer the offer in time.');
    expect(said(2)).toBe('No longer yours: dispatch took it back.');
    expect(said(1)).toBe('No longer yours: it went to another provider.');
    expect(screen.queryByTestId('customer-phone')).not.toBeNull();
    expect(screen.getAllByTestId('customer-phone')).toHaveLength(1);
  });
});
