/**
 * Query keys, in one place because the event stream invalidates across features:
 * a `booking` event touches booking lists, that booking, provider loads and admin views.
 */
import type { AuditAction, BookingStatus, JobSort, JobState } from './types';

export interface BookingFilters {
  status?: BookingStatus | '';
  q?: string;
  provider_id?: number;
  /** A service type's name. */
  service_type?: string;
  /** Only assigned, accepted and in-progress bookings. */
  active?: boolean;
  /** A provider's record: the bookings they handled, whatever happened to them. */
  handled?: boolean;
  /** Only bookings waiting for an operator (their assignment exhausted). */
  waiting?: boolean;
  from?: string;
  to?: string;
  order?: 'newest' | 'starts_at';
}

/** The job table's filters, by the API's names, as the address keeps them ('' for "any"). */
export interface JobFilters {
  /** '' for every state. */
  state: JobState | '';
  queue: string;
  /** A booking's id, or ''. */
  booking_id: string;
  /** Text the job's errors contain. */
  q: string;
  /** Days (YYYY-MM-DD) of the service area's calendar, both included. */
  created_from: string;
  created_to: string;
  sort: JobSort;
}

/** The audit log's filters, as the address keeps them ('' for "any"). */
export interface AuditFilters {
  action: AuditAction | '';
  /** A user's id, or ''. */
  actor: string;
  /** Days (YYYY-MM-DD), both included. */
  from: string;
  to: string;
}

export const keys = {
  me: ['me'] as const,
  demo: ['auth', 'demo'] as const,
  serviceTypes: ['service-types'] as const,
  /** The service area's time zone: not under `admin`, so that events do not refetch it. */
  serviceAreaZone: ['service-area-zone'] as const,
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
  /** Under `admin`, so that booking events refetch them (useLiveEvents). */
  jobs: ['admin', 'jobs'] as const,
  jobList: (f: JobFilters) => ['admin', 'jobs', 'list', f] as const,
  job: (id: number) => ['admin', 'jobs', 'detail', id] as const,
  queues: ['admin', 'queues'] as const,
  audit: (f: AuditFilters) => ['admin', 'audit', f] as const,
  stats: ['admin', 'stats'] as const,
  users: ['admin', 'users'] as const,
  userList: (role: string, q: string) => ['admin', 'users', role, q] as const,
};
