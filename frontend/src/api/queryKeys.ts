/**
 * Query keys, in one place because the event stream invalidates across features:
 * a `booking` event touches booking lists, that booking, provider loads and admin views.
 */
import type { BookingStatus, JobState } from './types';

export interface BookingFilters {
  status?: BookingStatus | '';
  q?: string;
  provider_id?: number;
  /** Only assigned, accepted and in-progress bookings. */
  active?: boolean;
  /** A provider's record: the bookings they handled, whatever happened to them. */
  handled?: boolean;
  from?: string;
  to?: string;
  order?: 'newest' | 'starts_at';
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
  availabilityAll: ['availability'] as const,
  availability: (service: string, from: string, to: string) => ['availability', service, from, to] as const,
  providers: ['providers'] as const,
  calendar: (id: number) => ['providers', 'calendar', id] as const,
  reviews: (id: number) => ['providers', 'reviews', id] as const,
  providerList: (serviceType?: string) => ['providers', serviceType ?? ''] as const,
  admin: ['admin'] as const,
  /** The dashboard: not under `admin`, so that a burst of events does not cancel its fetch (see useLiveEvents). */
  analyticsAll: ['analytics'] as const,
  analytics: (q: { from: string; to: string; bucket: string; service: string }) => ['analytics', q] as const,
  jobs: (state: JobState | '') => ['admin', 'jobs', state] as const,
  stats: ['admin', 'stats'] as const,
  users: ['admin', 'users'] as const,
  userList: (role: string, q: string) => ['admin', 'users', role, q] as const,
};
