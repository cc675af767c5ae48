import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatusAnnouncer, StatusBadge } from './status';

describe('a status badge', () => {
  it("tells a customer an unconfirmed offer and a provider's refusal in their own words, and the rest as everyone reads them", () => {
    render(
      <>
        <StatusBadge status="assigned" forCustomer />
        <StatusBadge status="rejected" forCustomer />
        <StatusBadge status="completed" forCustomer />
        <StatusBadge status="assigned" />
      </>,
    );
    expect(screen.getAllByText(/./).map((b) => b.textContent)).toEqual([
      'Awaiting confirmation',
      'Finding another provider',
      'Completed',
      'Assigned',
    ]);
  });
});

describe('the status announcer', () => {
  it("says nothing for the status the page opened with, then each new one in the reader's words", () => {
    const { rerender } = render(<StatusAnnouncer status="pending" forCustomer />);
    const region = screen.getByRole('status');
    expect(region.textContent).toBe('');
    rerender(<StatusAnnouncer status="assigned" forCustomer />);
    expect(region.textContent).toBe('Status now: Awaiting confirmation.');
    rerender(<StatusAnnouncer status="accepted" forCustomer />);
    expect(region.textContent).toBe('Status now: Accepted.');
    rerender(<StatusAnnouncer status="accepted" forCustomer />);
    expect(region.textContent).toBe('Status now: Accepted.');
  });
});
