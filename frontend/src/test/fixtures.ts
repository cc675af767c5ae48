import type { Booking, BookingDetail, Job, JobDetail, Provider } from '../api/types';

export function booking(over: Partial<Booking> = {}): Booking {
  return {
    id: 7,
    customer_id: 2,
    customer_name: 'Casey Customer',
    customer_phone: '+1 555 010 0199',
    customer_email: 'customer@example.com',
    service_type: 'plumbing',
    address: '12 Leaky Lane',
    starts_at: '2030-01-05T10:00:00Z',
    ends_at: '2030-01-05T12:00:00Z',
    scheduled_date: '2030-01-05T10:00:00Z',
    time_zone: 'UTC',
    absent: null,
    overlap_override: false,
    offer_expires_at: null,
    passed_on: null,
    status: 'assigned',
    provider_id: 1,
    notes: null,
    version: 3,
    assignment_cycle: 1,
    assignment_exhausted: false,
    created_at: '2030-01-01T09:00:00Z',
    updated_at: '2030-01-01T09:00:00Z',
    ...over,
  };
}

export function bookingDetail(over: Partial<BookingDetail> = {}): BookingDetail {
  return {
    ...booking(),
    history: [],
    attempts: [],
    assignment: null,
    allowed_transitions: [],
    provider_names: {},
    rating: null,
    ...over,
  };
}

export function job(over: Partial<Job> = {}): Job {
  return {
    id: 5,
    queue: 'assignment',
    kind: 'assign_provider',
    // The document says only "an object" of a payload.
    payload: { booking_id: 7, cycle: 1 } as unknown as Job['payload'],
    booking_id: 7,
    booking: { service_type: 'cleaning', customer_name: 'Casey', starts_at: '2030-01-02T10:00:00Z', time_zone: 'UTC', status: 'pending' },
    state: 'dead',
    attempt: 4,
    max_attempts: 4,
    backoff_base_ms: 300,
    round: 1,
    run_at: '2030-01-01T09:00:05Z',
    lease_owner: null,
    lease_expires_at: null,
    last_error: 'no eligible provider for cleaning at 10:00',
    errors: [],
    created_at: '2030-01-01T09:00:00Z',
    updated_at: '2030-01-01T09:00:06Z',
    finished_at: '2030-01-01T09:00:06Z',
    ...over,
  };
}

export function jobDetail(over: Partial<JobDetail> = {}): JobDetail {
  return { ...job(), attempts: [], ...over };
}

export function provider(over: Partial<Provider> = {}): Provider {
  return {
    id: 1,
    user_id: 3,
    name: 'Priya Patel',
    email: 'priya@example.com',
    phone: null,
    available: true,
    rating: 4.8,
    rating_count: 0,
    rating_mean: null,
    service_types: ['plumbing'],
    active_bookings: 0,
    time_zone: 'UTC',
    has_calendar: false,
    created_at: '2030-01-01T09:00:00Z',
    updated_at: '2030-01-01T09:00:00Z',
    active: true,
    deactivated_at: null,
    ...over,
  };
}
