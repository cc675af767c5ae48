import type { JobFilters } from '../../api/queryKeys';
import type { Job, JobActionRequest } from '../../api/types';
import { filterBody } from './filters';
import { actionApplies, stateApplies, type JobAction } from './words';

/**
 * Which jobs the action buttons act on: rows ticked on screen, or every job the filters
 * match (however many pages that is; the API works through them).
 */
export type Selection = { kind: 'ids'; ids: ReadonlySet<number> } | { kind: 'matching' };

export const NO_SELECTION: Selection = { kind: 'ids', ids: new Set() };

/** How many jobs the selection holds: `total` is how many the filters match. */
export function selectedCount(s: Selection, total: number): number {
  return s.kind === 'matching' ? total : s.ids.size;
}

/** The body of the action's request, or null when nothing is selected. */
export function actionRequest(s: Selection, filters: JobFilters): JobActionRequest | null {
  if (s.kind === 'matching') return { filter: filterBody(filters) };
  if (s.ids.size === 0) return null;
  return { ids: [...s.ids].sort((a, b) => a - b) };
}

/**
 * Whether `action` could change any selected job: a ticked job in a state it applies to,
 * or, for every matching job, a state filter it applies to (or none). The API decides
 * job by job in the end, and reports what it skipped.
 */
export function canAct(action: JobAction, s: Selection, shown: readonly Job[], filters: JobFilters, total: number): boolean {
  if (s.kind === 'matching') return total > 0 && (!filters.state || stateApplies(action, filters.state));
  return shown.some((j) => s.ids.has(j.id) && actionApplies(action, j));
}

/** The selection with job `id` ticked or not (a "matching" selection becomes the ticked rows). */
export function toggled(s: Selection, id: number, on: boolean): Selection {
  const ids = new Set(s.kind === 'ids' ? s.ids : []);
  if (on) ids.add(id);
  else ids.delete(id);
  return { kind: 'ids', ids };
}
