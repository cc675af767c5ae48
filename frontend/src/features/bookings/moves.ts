import type { BookingStatus } from '../../api/types';

/**
 * The moves the provider a booking is assigned to may make from each status: the API's
 * rule (`shared/src/booking/permission.rs`, `authorize` for `Role::Provider`), restated so
 * that a provider's list can offer them from the list's own data instead of fetching every
 * booking on it. The API checks each move again and refuses any other; a booking's page
 * shows the API's own `allowed_transitions`.
 */
const PROVIDER_MOVES: Record<BookingStatus, BookingStatus[]> = {
  pending: [],
  assigned: ['accepted', 'rejected'],
  accepted: ['in_progress'],
  in_progress: ['completed', 'no_show'],
  completed: [],
  cancelled: [],
  rejected: [],
  no_show: [],
};

/** What the assigned provider may do next with a booking in `status`. */
export function providerMoves(status: BookingStatus): BookingStatus[] {
  return PROVIDER_MOVES[status] ?? [];
}

/** How long before its window a booking's work may start. */
const START_EARLY_MS = 60 * 60 * 1000;

/**
 * When a move along the table may first be made (ms since the epoch), for a booking that
 * starts at `startsAt`, or null when the clock does not hold it back: the API's rule
 * (`check_clock` in `shared/src/booking/transition.rs`), restated so that a button is not
 * offered only to be refused as too early. Work starts at most an hour before the window;
 * a no-show is reported from its start.
 */
export function earliestMove(to: BookingStatus, startsAt: string): number | null {
  const start = Date.parse(startsAt);
  if (Number.isNaN(start)) return null;
  if (to === 'in_progress') return start - START_EARLY_MS;
  if (to === 'no_show') return start;
  return null;
}
