import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../api/types';
import { render, screen } from '@testing-library/react';
import { CustomerTimeline, customerStep, firstName, Timeline } from './Timeline';

const row = (over: Partial<HistoryRow>): HistoryRow => ({
  id: 1,
  booking_id: 7,
  old_status: 'pending',
  new_status: 'assigned',
  changed_by: null,
  changed_by_name: 'Home services',
  changed_by_role: 'system',
  reason: null,
  is_override: false,
  provider_id: 3,
  timestamp: '2026-12-03T10:00:00Z',
  ...over,
});

describe("the customer's timeline, in words", () => {
  it('names the provider by first name, and who cancelled in words', () => {
    expect(firstName('Priya Patel')).toBe('Priya');
    expect(firstName(undefined)).toBe('a provider');
    expect(customerStep(row({ old_status: null, new_status: 'pending', provider_id: null }), undefined)).toBe('Booked');
    expect(customerStep(row({}), 'Priya')).toBe('Offered to Priya');
    expect(customerStep(row({ old_status: 'assigned', new_status: 'accepted', changed_by_role: 'provider' }), 'Priya')).toBe(
      'Confirmed with Priya',
    );
    expect(customerStep(row({ old_status: 'accepted', new_status: 'in_progress', changed_by_role: 'provider' }), 'Priya')).toBe(
      'Priya started the work',
    );
    expect(customerStep(row({ old_status: 'accepted', new_status: 'in_progress', changed_by_role: 'provider' }), undefined)).toBe(
      'The provider started the work',
    );
    // An admin's override to "in progress" is not the provider's step.
    expect(
      customerStep(row({ old_status: 'assigned', new_status: 'in_progress', changed_by_role: 'admin', is_override: true }), 'Priya'),
    ).toBe('Work started, recorded by Home services');
    expect(customerStep(row({ old_status: 'in_progress', new_status: 'completed', changed_by_role: 'provider' }), 'Priya')).toBe('Done');
    expect(customerStep(row({ old_status: 'accepted', new_status: 'cancelled', changed_by_role: 'customer' }), 'Priya')).toBe(
      'Cancelled by you',
    );
    expect(customerStep(row({ old_status: 'accepted', new_status: 'cancelled', changed_by_role: 'admin' }), 'Priya')).toBe(
      'Cancelled by Home services',
    );
  });

  it('never names a provider the customer was not told of', () => {
    // A provider who turned the job down is not the customer's to know.
    const rejected = row({ old_status: 'assigned', new_status: 'rejected', changed_by_role: 'provider', changed_by_name: 'the provider' });
    expect(customerStep(rejected, undefined)).toBe('The provider could not take it: finding someone else');
    expect(customerStep(row({}), undefined)).toBe('Offered to a provider');
    expect(customerStep(row({ old_status: 'accepted', new_status: 'no_show', changed_by_role: 'customer' }), undefined)).toBe(
      'You reported that nobody came: finding someone else',
    );
  });
});

describe('the audit trail', () => {
  it("gives the providers a system's reason names by id by their names, and a person's reason as written", () => {
    const names: Record<number, string> = { 6: 'Sam Smith' };
    render(
      <Timeline
        history={[
          row({
            id: 1,
            old_status: 'assigned',
            new_status: 'rejected',
            provider_id: null,
            reason: 'the offer expired: provider 6 did not answer within 15 minutes',
          }),
          row({ id: 2, changed_by_role: 'admin', changed_by_name: 'Ada', reason: 'asked by provider 6 on the phone' }),
        ]}
        providerName={(id) => names[id] ?? `Provider #${id}`}
      />,
    );
    const [system, admin] = screen.getAllByTestId('timeline-row');
    expect(system).toHaveTextContent('“the offer expired: Sam Smith did not answer within 15 minutes”');
    expect(admin).toHaveTextContent('“asked by provider 6 on the phone”');
  });
});

describe("a move in the customer's timeline", () => {
  it('says who moved it and between which times, not the words written for dispatchers', () => {
    const moved = row({
      id: 3,
      old_status: 'accepted',
      new_status: 'assigned',
      changed_by_role: 'customer',
      reason:
        'rescheduled from 2026-12-08 15:00 (UTC) to 2026-12-09 16:00 (UTC); the provider is free then, keeps it and is asked to accept again',
    });
    expect(customerStep(moved, 'Priya')).toBe('Moved by you');
    render(<CustomerTimeline history={[moved]} providerName={() => 'Priya Patel'} />);
    const step = screen.getByTestId('timeline-row');
    expect(step).toHaveTextContent('Moved by you');
    expect(step).toHaveTextContent('From 2026-12-08 15:00 (UTC) to 2026-12-09 16:00 (UTC).');
    expect(step).not.toHaveTextContent('asked to accept again');
  });
});
