import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { bookingDetail } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { canReschedule, RescheduleForm } from './RescheduleForm';

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe('moving a booking', () => {
  it('is open to its customer until 2 hours before the start, and to a dispatcher until the start', () => {
    const now = Date.now();
    const soon = { status: 'accepted' as const, starts_at: new Date(now + 3600_000).toISOString() };
    const later = { status: 'accepted' as const, starts_at: new Date(now + 3 * 3600_000).toISOString() };
    const begun = { status: 'accepted' as const, starts_at: new Date(now - 60_000).toISOString() };
    expect([canReschedule(later, now), canReschedule(soon, now), canReschedule(begun, now)]).toEqual([true, false, false]);
    expect([canReschedule(later, now, true), canReschedule(soon, now, true), canReschedule(begun, now, true)]).toEqual([true, true, false]);
    expect(canReschedule({ ...later, status: 'in_progress' }, now, true)).toBe(false);
  });

  it("offers a dispatcher the move an hour before the start, where the customer's page has none", () => {
    mockApi({});
    const b = bookingDetail({ status: 'assigned', starts_at: inAnHour() });
    const { unmount } = renderWithProviders(<RescheduleForm booking={b} />, { route: '/bookings/1', as: 'customer' });
    expect(screen.queryByRole('button', { name: 'Move to another time' })).toBeNull();
    expect(screen.getByTestId('move-too-late')).toHaveTextContent('It starts in less than 2 hours, too soon to move it.');
    unmount();
    renderWithProviders(<RescheduleForm booking={b} byAdmin />, { route: '/admin/bookings/1', as: 'admin' });
    expect(screen.getByRole('heading', { name: 'Move to another time' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Move to another time' })).toBeInTheDocument();
  });

  it("asks for the free times leaving the booking's own window out, so that it can move by half an hour", async () => {
    const { calls } = mockApi({
      'GET /api/v1/availability': () => json(200, { service_type: 'plumbing', duration_minutes: 120, time_zone: 'UTC', slots: [] }),
    });
    const b = bookingDetail({ id: 12, status: 'accepted', starts_at: new Date(Date.now() + 3 * 86400_000).toISOString() });
    renderWithProviders(<RescheduleForm booking={b} />, { route: '/bookings/12', as: 'customer' });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Move to another time' }));
    await waitFor(() => expect(calls.some((c) => c.url.startsWith('/api/v1/availability'))).toBe(true));
    const asked = new URL(calls.find((c) => c.url.startsWith('/api/v1/availability'))!.url, 'http://x');
    expect(asked.searchParams.get('moving')).toBe('12');
  });
});
