import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AssignmentAttempt as AttemptView } from '../../api/types';
import { bookingDetail, provider } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { AssignPanel } from './AssignPanel';

const attempt = (provider_id: number, outcome: AttemptView['outcome']): AttemptView => ({
  id: provider_id,
  booking_id: 7,
  cycle: 1,
  attempt: provider_id,
  provider_id,
  outcome,
  reason: null,
  created_at: '2030-01-02T09:00:00Z',
  updated_at: '2030-01-02T09:00:00Z',
});

describe('assigning by hand', () => {
  it('marks the providers who turned the booking down or let its offer lapse', async () => {
    mockApi({
      'GET /api/v1/providers': () =>
        json(200, [
          provider({ id: 1, name: 'Priya Patel' }),
          provider({ id: 2, name: 'Marco Rossi' }),
          provider({ id: 3, name: 'Gabe Green' }),
        ]),
    });
    const b = bookingDetail({ status: 'rejected', provider_id: null, attempts: [attempt(1, 'rejected'), attempt(2, 'expired')] });
    renderWithProviders(<AssignPanel booking={b} />, { route: '/admin/bookings/7', as: 'admin' });
    await screen.findByRole('combobox', { name: 'Provider' });
    const option = (name: string) => screen.getByRole('option', { name: new RegExp(`^${name}`) }).textContent;
    expect(option('Priya Patel')).toContain('(declined this booking)');
    expect(option('Marco Rossi')).toContain('(declined this booking)');
    expect(option('Gabe Green')).not.toContain('declined');
  });
});
