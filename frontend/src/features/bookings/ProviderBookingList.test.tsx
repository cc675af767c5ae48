import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { booking } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { ProviderBookingList } from './ProviderBookingList';

describe("a provider's list of jobs", () => {
  it('offers each booking the moves of its status from the list alone: one request, none per card', async () => {
    const items = [
      booking({ id: 3, status: 'assigned' }),
      booking({ id: 2, status: 'accepted' }),
      booking({ id: 1, status: 'in_progress' }),
      booking({ id: 0, status: 'completed' }),
    ];
    const { calls } = mockApi({
      'GET /api/v1/bookings': () => json(200, { items, next_cursor: null }),
      'GET /api/v1/service-types': () => json(200, [{ name: 'plumbing', label: 'Plumbing' }]),
    });
    renderWithProviders(<ProviderBookingList />);
    const card = async (id: number) =>
      within((await screen.findAllByTestId('provider-booking')).find((c) => c.dataset.bookingId === String(id))!);
    const moves = async (id: number) => (await card(id)).queryAllByRole('button').map((b) => b.textContent);

    expect(await moves(3)).toEqual(['Accept', 'Reject']);
    expect(await moves(2)).toEqual(['Start']);
    expect(await moves(1)).toEqual(['Complete', 'No-show']);
    expect(await moves(0)).toEqual([]);
    expect(screen.getByRole('heading', { name: 'Finished' })).toBeInTheDocument();
    expect(calls.filter((c) => c.url.startsWith('/api/v1/bookings')).map((c) => c.url.split('?')[0])).toEqual(['/api/v1/bookings']);
  });
});
