import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatusBadge } from './status';

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
