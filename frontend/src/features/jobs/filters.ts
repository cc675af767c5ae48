import type { JobFilters } from '../../api/queryKeys';
import { JOB_STATES, type JobFilterBody, type JobState } from '../../api/types';

/**
 * The job table's filters in the address, under the API's names: `?state=` (dead jobs when
 * absent, `all` for every state), `queue`, `booking_id`, `q` (error text), `created_from`
 * and `created_to` (days), `sort` (`run_at`; newest first when absent).
 */
export const DEFAULT_JOB_FILTERS: JobFilters = {
  state: 'dead',
  queue: '',
  booking_id: '',
  q: '',
  created_from: '',
  created_to: '',
  sort: 'id',
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[1-9]\d{0,15}$/;

/** A booking's id as typed ("57", "#57"), or null if it is not one. */
export function parseBookingId(text: string): string | null {
  const t = text.trim().replace(/^#/, '');
  if (!t) return '';
  return ID.test(t) ? t : null;
}

/** The filters the address holds; anything it holds that is not a filter value is ignored. */
export function filtersFromParams(params: URLSearchParams): JobFilters {
  const raw = params.get('state');
  const state: JobState | '' = raw === 'all' ? '' : JOB_STATES.includes(raw as JobState) ? (raw as JobState) : 'dead';
  const day = (name: string) => {
    const v = params.get(name) ?? '';
    return DAY.test(v) ? v : '';
  };
  const booking = params.get('booking_id') ?? '';
  return {
    state,
    queue: params.get('queue') ?? '',
    booking_id: ID.test(booking) ? booking : '',
    q: (params.get('q') ?? '').trim(),
    created_from: day('created_from'),
    created_to: day('created_to'),
    sort: params.get('sort') === 'run_at' ? 'run_at' : 'id',
  };
}

/** The address for `f`: only what differs from the defaults, so the plain page stays `/admin/jobs`. */
export function filtersToParams(f: JobFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.state !== 'dead') p.set('state', f.state || 'all');
  if (f.queue) p.set('queue', f.queue);
  if (f.booking_id) p.set('booking_id', f.booking_id);
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.created_from) p.set('created_from', f.created_from);
  if (f.created_to) p.set('created_to', f.created_to);
  if (f.sort !== 'id') p.set('sort', f.sort);
  return p;
}

/** Whether `f` narrows the defaults in any way (the order aside). */
export function isFiltered(f: JobFilters): boolean {
  return f.state !== DEFAULT_JOB_FILTERS.state || !!f.queue || !!f.booking_id || !!f.q.trim() || !!f.created_from || !!f.created_to;
}

/** The query of `GET /admin/jobs` (the client drops empty values). */
export function listQuery(f: JobFilters) {
  return {
    state: f.state,
    queue: f.queue,
    booking_id: f.booking_id,
    q: f.q.trim(),
    created_from: f.created_from,
    created_to: f.created_to,
    sort: f.sort === 'id' ? undefined : f.sort,
  };
}

/** The same filters as an action's `{filter}`: what "all matching" acts on. */
export function filterBody(f: JobFilters): JobFilterBody {
  const body: JobFilterBody = {};
  if (f.state) body.state = f.state;
  if (f.queue) body.queue = f.queue;
  if (f.booking_id) body.booking_id = Number(f.booking_id);
  if (f.q.trim()) body.q = f.q.trim();
  if (f.created_from) body.created_from = f.created_from;
  if (f.created_to) body.created_to = f.created_to;
  return body;
}

/** The filters in words, for a confirmation: "state dead, error text “timeout”, created from 2026-12-01". */
export function describeFilters(f: JobFilters): string {
  const parts: string[] = [];
  if (f.state) parts.push(`state ${f.state}`);
  if (f.queue) parts.push(`queue ${f.queue}`);
  if (f.booking_id) parts.push(`booking #${f.booking_id}`);
  if (f.q.trim()) parts.push(`error text “${f.q.trim()}”`);
  if (f.created_from && f.created_to) parts.push(`created ${f.created_from} to ${f.created_to}`);
  else if (f.created_from) parts.push(`created from ${f.created_from}`);
  else if (f.created_to) parts.push(`created up to ${f.created_to}`);
  return parts.length ? parts.join(', ') : 'no filter: every job';
}
