/**
 * Query keys, in one place because the event stream invalidates across features:
 * a `booking` event touches booking lists, that booking, provider loads and admin views.
 */
import type { BookingStatus, JobState } from './types';

export interface BookingFilters {
  status?: BookingStatus | '';
  q?: string;
  provider_id?: number;
}

export const keys = {
  me: ['me'] as const,
  demo: ['auth', 'demo'] as const,
  serviceTypes: ['service-types'] as const,
  bookings: ['bookings'] as const,
  bookingLists: ['bookings', 'list'] as const,
  bookingList: (f: BookingFilters) => ['bookings', 'list', f] as const,
  booking: (id: number) => ['bookings', 'detail', id] as const,
  /** Bookings that left a provider's view (they rejected it, or no-showed): never refetched. */
  goneBookings: ['gone-bookings'] as const,
  providers: ['providers'] as const,
  providerList: (serviceType?: string) => ['providers', serviceType ?? ''] as const,
  admin: ['admin'] as const,
  jobs: (state: JobState | '') => ['admin', 'jobs', state] as const,
  stats: ['admin', 'stats'] as const,
};
