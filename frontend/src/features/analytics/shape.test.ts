import { describe, expect, it } from 'vitest';
import type { AnalyticsBucket, DemandCell, ProviderFigures } from '../../api/types';
import { demandByService, duration, fromZero, heatmap, percent, sortProviders, stackByStatus } from './shape';

const zero = { pending: 0, assigned: 0, accepted: 0, in_progress: 0, completed: 0, cancelled: 0, rejected: 0, no_show: 0 };

function bucket(start: string, counts: Partial<typeof zero>): AnalyticsBucket {
  const by_status = { ...zero, ...counts };
  return {
    start,
    created: Object.values(by_status).reduce((a, b) => a + b, 0),
    by_status,
    dead: 0,
    assign_p50_ms: null,
    assign_p90_ms: null,
    accept_p50_ms: null,
    accept_p90_ms: null,
  };
}

describe('stackByStatus', () => {
  it('stacks the statuses present, in the lifecycle order, each on those below', () => {
    const stacked = stackByStatus([bucket('2026-11-30', { pending: 2, completed: 3 }), bucket('2026-12-01', { cancelled: 1, pending: 1 })]);
    expect(stacked.map((s) => s.status)).toEqual(['pending', 'completed', 'cancelled']);
    expect(stacked[0]).toMatchObject({ counts: [2, 1], top: [2, 1] });
    expect(stacked[1]).toMatchObject({ counts: [3, 0], top: [5, 1] });
    expect(stacked[2]).toMatchObject({ counts: [0, 1], top: [5, 2] });
    // An empty stack draws no bar.
    expect(stackByStatus([bucket('2026-11-30', { pending: 1 }), bucket('2026-12-01', {})])[0].top).toEqual([1, null]);
  });
});

describe('demand', () => {
  const cells: DemandCell[] = [
    { service_type: 'plumbing', weekday: 1, hour: 9, created: 2 },
    { service_type: 'cleaning', weekday: 1, hour: 9, created: 3 },
    { service_type: 'cleaning', weekday: 7, hour: 23, created: 1 },
  ];
  it('adds every service up per weekday and hour, Monday first', () => {
    const { cells: grid, max } = heatmap(cells);
    expect(grid[0][9]).toBe(5);
    expect(grid[6][23]).toBe(1);
    expect(max).toBe(5);
    expect(heatmap([]).max).toBe(0);
  });
  it('totals each service, most first', () => {
    expect(demandByService(cells)).toEqual([
      { service: 'cleaning', created: 4 },
      { service: 'plumbing', created: 2 },
    ]);
  });
});

describe('sortProviders', () => {
  const p = (name: string, offers: number, rating_mean: number | null): ProviderFigures => ({
    provider_id: name.length,
    name,
    offers,
    accepts: 0,
    rejects: 0,
    expiries: 0,
    no_shows: 0,
    completed: 0,
    rating_mean,
    rating_count: rating_mean === null ? 0 : 1,
  });
  const rows = [p('Marco', 3, 4.5), p('Ana', 7, null), p('Priya', 3, 5)];
  it('sorts by a number either way, ties by name', () => {
    expect(sortProviders(rows, 'offers', true).map((r) => r.name)).toEqual(['Ana', 'Marco', 'Priya']);
    expect(sortProviders(rows, 'offers', false).map((r) => r.name)).toEqual(['Marco', 'Priya', 'Ana']);
  });
  it('puts a provider without reviews last whichever way', () => {
    expect(sortProviders(rows, 'rating_mean', true).map((r) => r.name)).toEqual(['Priya', 'Marco', 'Ana']);
    expect(sortProviders(rows, 'rating_mean', false).map((r) => r.name)).toEqual(['Marco', 'Priya', 'Ana']);
  });
  it('sorts names alphabetically', () => {
    expect(sortProviders(rows, 'name', false).map((r) => r.name)).toEqual(['Ana', 'Marco', 'Priya']);
  });
});

describe('labels', () => {
  it('reads shares and waits as people do', () => {
    expect(percent(0.625)).toBe('63%');
    expect(percent(0.004)).toBe('0.4%');
    expect(percent(0)).toBe('0%');
    expect(percent(null)).toBe('—');
    expect(duration(850)).toBe('850 ms');
    expect(duration(4200)).toBe('4.2 s');
    expect(duration(12 * 60_000)).toBe('12 min');
    expect(duration(3.5 * 3_600_000)).toBe('3.5 h');
    expect(duration(null)).toBe('—');
  });
});

describe('a y range', () => {
  it('starts at zero whatever the lowest value, with room above the highest', () => {
    expect(fromZero(25)).toEqual([0, 27.500000000000004]);
    expect(fromZero(0)).toEqual([0, 1]);
  });
});
