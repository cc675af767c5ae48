import { describe, expect, it } from 'vitest';
import { formatCountdown, formatDuration } from './duration';

describe('counting down to a time', () => {
  const at = '2026-12-02T10:00:00Z';
  const t = Date.parse(at);

  it('count seconds, then minutes and seconds, then hours and minutes, then days and hours', () => {
    expect(formatCountdown(at, t - 4_000)).toBe('in 4 s');
    // A part of a second left is still a second to go.
    expect(formatCountdown(at, t - 200)).toBe('in 1 s');
    expect(formatCountdown(at, t - 59_000)).toBe('in 59 s');
    expect(formatCountdown(at, t - 60_000)).toBe('in 1 min 00 s');
    expect(formatCountdown(at, t - 125_000)).toBe('in 2 min 05 s');
    expect(formatCountdown(at, t - (3 * 3600 + 7 * 60 + 30) * 1000)).toBe('in 3 h 07 min');
    expect(formatCountdown(at, t - (2 * 86400 + 4 * 3600) * 1000)).toBe('in 2 d 4 h');
  });

  it('say "due now" once the time has come or passed', () => {
    expect(formatCountdown(at, t)).toBe('due now');
    expect(formatCountdown(at, t + 90_000)).toBe('due now');
  });

  it('read spans in the unit that reads best', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
  });
});
