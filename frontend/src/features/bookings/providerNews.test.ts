import { describe, expect, it } from 'vitest';
import type { HistoryRow, User } from '../../api/types';
import { providerNews } from './providerNews';

const priya = { id: 3, role: 'provider', provider_id: 1 } as User;
const row = (over: Partial<HistoryRow>): HistoryRow => ({
  id: 1,
  booking_id: 7,
  old_status: 'accepted',
  new_status: 'cancelled',
  changed_by: null,
  changed_by_name: 'the customer',
  changed_by_role: 'customer',
  reason: null,
  is_override: false,
  provider_id: 1,
  timestamp: '2030-01-02T09:00:00Z',
  ...over,
});

describe('what a provider hears of changes to their jobs', () => {
  it('tells them of each change someone else made, in a sentence', () => {
    const said = (over: Partial<HistoryRow>) => providerNews(priya, row(over))?.text;
    expect(said({})).toBe('Job #7 was cancelled by the customer.');
    expect(said({ changed_by_role: 'admin', changed_by_name: 'Ada' })).toBe('Job #7 was cancelled by the dispatcher.');
    expect(said({ old_status: 'pending', new_status: 'assigned', changed_by_role: 'system' })).toBe(
      'New job #7 offered to you: accept or reject it in My jobs.',
    );
    expect(
      said({
        old_status: 'accepted',
        new_status: 'assigned',
        reason: 'rescheduled from 2030-01-03 10:00 (UTC) to 2030-01-03 11:00 (UTC); the provider is free then',
      }),
    ).toBe('Job #7 was moved to another time: accept it again in My jobs.');
    expect(said({ old_status: 'accepted', new_status: 'assigned', provider_id: 2, changed_by_role: 'admin' })).toBe(
      'Job #7 was given to another provider by the dispatcher.',
    );
    expect(said({ old_status: 'assigned', new_status: 'rejected', changed_by_role: 'system' })).toBe(
      'The offer of job #7 lapsed unanswered: it goes to another provider.',
    );
    expect(said({ old_status: 'accepted', new_status: 'no_show', changed_by_role: 'customer' })).toBe(
      'The customer of job #7 reported that nobody came: it goes to another provider.',
    );
  });

  it('keeps quiet about their own moves, steps of no news, and to anyone but a provider', () => {
    expect(providerNews(priya, row({ changed_by: 3, changed_by_role: 'provider', new_status: 'rejected' }))).toBeNull();
    expect(providerNews(priya, row({ old_status: null, new_status: 'pending' }))).toBeNull();
    expect(providerNews(priya, row({ old_status: 'in_progress', new_status: 'completed', changed_by_role: 'admin' }))).toBeNull();
    expect(providerNews({ ...priya, role: 'customer', provider_id: null }, row({}))).toBeNull();
    expect(providerNews(null, row({}))).toBeNull();
  });

  it('marks a new offer, which the agenda announces itself while open', () => {
    expect(providerNews(priya, row({ old_status: 'pending', new_status: 'assigned' }))?.offer).toBe(true);
    expect(providerNews(priya, row({}))?.offer).toBe(false);
  });
});
