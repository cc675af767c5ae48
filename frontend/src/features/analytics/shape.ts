/** The dashboard's figures shaped for its charts and tables: pure functions, tested alone. */
import { STATUSES, type AnalyticsBucket, type BookingStatus, type DemandCell, type ProviderFigures } from '../../api/types';

/** One status's bookings per bucket, and the running total up to it (what a stacked chart draws). */
export interface StackedSeries {
  status: BookingStatus;
  counts: number[];
  /** This status's count plus every status stacked below it; `null` where the stack is empty (no bar). */
  top: (number | null)[];
}

/** The statuses with any booking in the range, stacked in the lifecycle's order. */
export function stackByStatus(buckets: AnalyticsBucket[]): StackedSeries[] {
  const present = STATUSES.filter((s) => buckets.some((b) => (b.by_status[s] ?? 0) > 0));
  const below = buckets.map(() => 0);
  return present.map((status) => {
    const counts = buckets.map((b) => b.by_status[status] ?? 0);
    const top = counts.map((n, i) => (below[i] += n) || null);
    return { status, counts, top };
  });
}

/** Weekdays as the API numbers them (1 = Monday). */
export const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** Bookings per weekday (rows, Monday first) and hour (columns), every service added up. */
export function heatmap(demand: DemandCell[]): { cells: number[][]; max: number } {
  const cells = WEEKDAY_NAMES.map(() => Array.from({ length: 24 }, () => 0));
  for (const c of demand) cells[c.weekday - 1][c.hour] += c.created;
  return { cells, max: Math.max(0, ...cells.flat()) };
}

/** Bookings per service, most first. */
export function demandByService(demand: DemandCell[]): { service: string; created: number }[] {
  const totals = new Map<string, number>();
  for (const c of demand) totals.set(c.service_type, (totals.get(c.service_type) ?? 0) + c.created);
  return [...totals]
    .map(([service, created]) => ({ service, created }))
    .sort((a, b) => b.created - a.created || a.service.localeCompare(b.service));
}

export type ProviderColumn = Exclude<keyof ProviderFigures, 'provider_id'>;

/** Providers sorted by a column (names alphabetically; a missing rating last either way). */
export function sortProviders(rows: ProviderFigures[], by: ProviderColumn, descending: boolean): ProviderFigures[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[by];
    const y = b[by];
    if (x === y) return a.name.localeCompare(b.name);
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === 'string' && typeof y === 'string') return sign * x.localeCompare(y);
    return sign * (Number(x) - Number(y));
  });
}

/** A share as people read it: "62%", "0.4%"; a dash when there was nothing to divide. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined) return '—';
  const p = share * 100;
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`;
}

/** A wait in milliseconds, in the unit that reads best (the jobs' pages read durations the same way). */
export { formatDuration as duration } from '../../ui/duration';

/** A bucket's first day as a short label: "Mon 30 Nov". */
export function dayLabel(date: string): string {
  return new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/**
 * A chart's y range for values up to `max`: from zero, with a tenth above the highest.
 * uPlot's own range fits the data's lowest value, so a stack whose lowest was 19 drew 24
 * as a sliver and 25 as three times it.
 */
export function fromZero(max: number): [number, number] {
  return [0, Math.max(1, max * 1.1)];
}
