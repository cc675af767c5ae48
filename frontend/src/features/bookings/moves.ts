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
