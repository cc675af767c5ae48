import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { OfferDeadline, offerDeadlineText } from './OfferDeadline';

const now = Date.parse('2026-12-07T18:00:00Z');
const after = (ms: number) => new Date(now + ms).toISOString();

describe('offerDeadlineText', () => {
  it('tells the provider how long they have, rounded up to the minute', () => {
    expect(offerDeadlineText(after(12 * 60_000 - 5_000), now, true)).toMatch(/^Answer within 12 min \(by .+\)$/);
    expect(offerDeadlineText(after(30_000), now, true)).toMatch(/^Answer within a minute /);
    expect(offerDeadlineText(after(65 * 60_000), now, true)).toMatch(/^Answer within 1 h 05 min /);
    expect(offerDeadlineText(after(120 * 60_000), now, true)).toMatch(/^Answer within 2 h \(/);
  });

  it('tells anyone else that the provider has not answered yet', () => {
    expect(offerDeadlineText(after(5 * 60_000), now, false)).toMatch(/^Waiting for the provider's answer, 5 min left \(until .+\)$/);
  });

  it('says when the time is up, and nothing without a deadline', () => {
    expect(offerDeadlineText(after(-1_000), now, true)).toBe('The time to answer is up: the job goes to another provider.');
    expect(offerDeadlineText(after(0), now, false)).toMatch(/did not answer in time/);
    expect(offerDeadlineText(null, now, true)).toBeNull();
    expect(offerDeadlineText('not a time', now, true)).toBeNull();
  });
});

describe('OfferDeadline', () => {
  it('shows only on an offered booking', () => {
    const soon = new Date(Date.now() + 10 * 60_000).toISOString();
    const { rerender } = render(<OfferDeadline booking={{ status: 'assigned', offer_expires_at: soon }} toProvider />);
    expect(screen.getByTestId('offer-deadline').textContent).toMatch(/^Answer within 10 min/);
    rerender(<OfferDeadline booking={{ status: 'accepted', offer_expires_at: soon }} toProvider />);
    expect(screen.queryByTestId('offer-deadline')).toBeNull();
    rerender(<OfferDeadline booking={{ status: 'assigned', offer_expires_at: null }} toProvider />);
    expect(screen.queryByTestId('offer-deadline')).toBeNull();
  });
});
