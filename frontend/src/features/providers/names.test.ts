import { describe, expect, it } from 'vitest';
import { nameProviders } from './names';

describe("a message's providers by name", () => {
  it('names every provider the message gives by id, and leaves the rest of it alone', () => {
    const names: Record<number, string> = { 1: 'Priya Patel', 6: 'Sam Smith' };
    const name = (id: number) => names[id] ?? `Provider #${id}`;
    expect(nameProviders('provider 1 rejected the booking: too far', name)).toBe('Priya Patel rejected the booking: too far');
    expect(nameProviders('the offer expired: provider 6 did not answer; provider 9 was busy', name)).toBe(
      'the offer expired: Sam Smith did not answer; Provider #9 was busy',
    );
    expect(nameProviders('no eligible provider for plumbing at 2030-01-02 10:00', name)).toBe(
      'no eligible provider for plumbing at 2030-01-02 10:00',
    );
  });
});
