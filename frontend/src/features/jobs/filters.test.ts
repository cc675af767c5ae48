import { describe, expect, it } from 'vitest';
import type { JobFilters } from '../../api/queryKeys';
import {
  DEFAULT_JOB_FILTERS,
  describeFilters,
  filterBody,
  filtersFromParams,
  filtersToParams,
  isFiltered,
  listQuery,
  parseBookingId,
} from './filters';

const from = (qs: string) => filtersFromParams(new URLSearchParams(qs));

describe('the job filters in the address', () => {
  it('show dead jobs when the address names no state, every state with state=all', () => {
    expect(from('')).toEqual(DEFAULT_JOB_FILTERS);
    expect(from('').state).toBe('dead');
    expect(from('state=all').state).toBe('');
    expect(from('state=retrying').state).toBe('retrying');
    // Not a state: the default, as before.
    expect(from('state=zombie').state).toBe('dead');
  });

  it('leave the plain page at /admin/jobs, and write only what differs from the defaults', () => {
    expect(filtersToParams(DEFAULT_JOB_FILTERS).toString()).toBe('');
    expect(filtersToParams({ ...DEFAULT_JOB_FILTERS, state: '' }).toString()).toBe('state=all');
    expect(filtersToParams({ ...DEFAULT_JOB_FILTERS, q: '  timeout ', sort: 'run_at' }).toString()).toBe('q=timeout&sort=run_at');
  });

  it('come back the same from the address they were written to', () => {
    const f: JobFilters = {
      state: 'cancelled',
      queue: 'assignment',
      booking_id: '57',
      q: 'no eligible provider for cleaning',
      created_from: '2026-12-01',
      created_to: '2026-12-02',
      sort: 'run_at',
    };
    expect(filtersFromParams(filtersToParams(f))).toEqual(f);
    for (const state of ['', 'dead', 'scheduled'] as const) {
      expect(filtersFromParams(filtersToParams({ ...DEFAULT_JOB_FILTERS, state }))).toEqual({ ...DEFAULT_JOB_FILTERS, state });
    }
  });

  it('drop what is not a filter value: a booking that is no number, a day that is no date, an unknown order', () => {
    expect(from('booking_id=abc&created_from=yesterday&created_to=2026-13&sort=random')).toEqual(DEFAULT_JOB_FILTERS);
    expect(from('booking_id=0').booking_id).toBe('');
  });

  it('read a typed booking number with or without its #', () => {
    expect(parseBookingId(' #57 ')).toBe('57');
    expect(parseBookingId('57')).toBe('57');
    expect(parseBookingId('')).toBe('');
    expect(parseBookingId('5x')).toBeNull();
    expect(parseBookingId('-3')).toBeNull();
  });

  it('ask the API with the same names, and act on "all matching" with the same filter', () => {
    const f: JobFilters = { ...DEFAULT_JOB_FILTERS, q: 'rejected', booking_id: '9', created_to: '2026-12-02' };
    expect(listQuery(f)).toEqual({
      state: 'dead',
      queue: '',
      booking_id: '9',
      q: 'rejected',
      created_from: '',
      created_to: '2026-12-02',
      sort: undefined,
    });
    expect(listQuery({ ...f, sort: 'run_at' }).sort).toBe('run_at');
    expect(filterBody(f)).toEqual({ state: 'dead', booking_id: 9, q: 'rejected', created_to: '2026-12-02' });
    // Every state and nothing else: every job.
    expect(filterBody({ ...DEFAULT_JOB_FILTERS, state: '' })).toEqual({});
  });

  it('say in words what "all matching" acts on', () => {
    expect(describeFilters({ ...DEFAULT_JOB_FILTERS, q: 'timeout', created_from: '2026-12-01' })).toBe(
      'state dead, error text “timeout”, created from 2026-12-01',
    );
    expect(describeFilters({ ...DEFAULT_JOB_FILTERS, state: '', queue: 'assignment', booking_id: '5' })).toBe(
      'queue assignment, booking #5',
    );
    expect(describeFilters({ ...DEFAULT_JOB_FILTERS, state: '' })).toBe('no filter: every job');
  });

  it('know the plain view of dead jobs from a filtered one, whatever the order', () => {
    expect(isFiltered(DEFAULT_JOB_FILTERS)).toBe(false);
    expect(isFiltered({ ...DEFAULT_JOB_FILTERS, sort: 'run_at' })).toBe(false);
    expect(isFiltered({ ...DEFAULT_JOB_FILTERS, state: '' })).toBe(true);
    expect(isFiltered({ ...DEFAULT_JOB_FILTERS, q: 'x' })).toBe(true);
  });
});
