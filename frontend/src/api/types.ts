/** Types of the API's JSON, named as the API names them. */

export type Role = 'customer' | 'provider' | 'admin';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  provider_id: number | null;
  created_at: string;
}

export interface AuthResponse {
  token: string;
  user: User;
  expires_at: string;
}

/** POST /auth/login */
export interface LoginRequest {
  email: string;
  password: string;
}

/** POST /auth/register (a customer account) */
export interface RegisterRequest {
  name: string;
  email: string;
  password: string;
}

export interface DemoLogin {
  role: Role;
  name: string;
  email: string;
  password: string;
}

export interface DemoInfo {
  enabled: boolean;
  logins: DemoLogin[];
}

export interface ServiceType {
  name: string;
  label: string;
}

export const STATUSES = ['pending', 'assigned', 'accepted', 'in_progress', 'completed', 'cancelled', 'rejected', 'no_show'] as const;
export type BookingStatus = (typeof STATUSES)[number];

export interface Booking {
  id: number;
  customer_id: number;
  customer_name: string;
  customer_phone: string;
  customer_email: string;
  service_type: string;
  address: string;
  scheduled_date: string;
  status: BookingStatus;
  provider_id: number | null;
  notes: string | null;
  version: number;
  assignment_cycle: number;
  assignment_exhausted: boolean;
  created_at: string;
  updated_at: string;
}

export type ActorRole = Role | 'system';

export interface HistoryRow {
  id: number;
  booking_id: number;
  old_status: BookingStatus | null;
  new_status: BookingStatus;
  changed_by: number | null;
  changed_by_name: string;
  changed_by_role: ActorRole;
  reason: string | null;
  is_override: boolean;
  provider_id: number | null;
  timestamp: string;
}

export type AttemptOutcome = 'assigned' | 'no_provider' | 'rejected' | 'no_show' | 'error' | 'manual';

export interface AssignmentAttempt {
  id: number;
  booking_id: number;
  cycle: number;
  attempt: number;
  provider_id: number | null;
  outcome: AttemptOutcome;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

export type JobState = 'scheduled' | 'running' | 'done' | 'retrying' | 'dead' | 'cancelled';
export const JOB_STATES: JobState[] = ['scheduled', 'running', 'retrying', 'dead', 'done', 'cancelled'];

export interface Assignment {
  job_id: number;
  cycle: number;
  attempt: number;
  max_attempts: number;
  state: JobState;
  next_attempt_at: string | null;
  last_error: string | null;
  exhausted: boolean;
}

export interface BookingDetail extends Booking {
  history: HistoryRow[];
  attempts: AssignmentAttempt[];
  assignment: Assignment | null;
  allowed_transitions: BookingStatus[];
  /** Names of the providers this booking mentions, by id. */
  provider_names: Record<string, string>;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface NewBooking {
  customer_name: string;
  customer_phone: string;
  customer_email: string;
  service_type: string;
  address: string;
  scheduled_date: string;
  notes?: string;
}

/** PATCH /bookings/{id}/status */
export interface StatusChange {
  status: BookingStatus;
  reason?: string;
  /** An admin forcing the status past the state machine. */
  override?: boolean;
  /** When given, the change applies only if the booking is still at this version. */
  expected_version?: number;
}

/** POST /bookings/{id}/assign (admins) */
export interface AssignRequest {
  provider_id: number;
  reason?: string;
}

export interface Provider {
  id: number;
  user_id: number | null;
  name: string;
  email: string;
  phone: string | null;
  available: boolean;
  rating: number;
  service_types: string[];
  active_bookings: number;
  created_at: string;
  updated_at: string;
}

export interface NewProvider {
  name: string;
  email: string;
  phone?: string;
  service_types: string[];
  available?: boolean;
  rating?: number;
  password?: string;
}

export interface ProviderPatch {
  name?: string;
  phone?: string;
  available?: boolean;
  rating?: number;
  service_types?: string[];
}

export interface JobError {
  cycle: number;
  attempt: number;
  error: string;
  at: string;
}

export interface Job {
  id: number;
  queue: string;
  kind: string;
  payload: { booking_id: number; cycle: number };
  booking_id: number | null;
  state: JobState;
  attempt: number;
  max_attempts: number;
  run_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  errors: JobError[];
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** POST /admin/jobs/retry: these dead jobs, or every dead job. */
export type RetryRequest = { ids: number[] } | { all_dead: true };

export interface RetryReport {
  retried: number[];
  skipped: { id: number; reason: string }[];
}

export interface Worker {
  name: string;
  hostname: string;
  pid: number;
  concurrency: number;
  started_at: string;
  last_heartbeat_at: string;
  stopped_at: string | null;
}

export interface Stats {
  bookings_by_status: Record<string, number>;
  jobs_by_state: Record<string, number>;
  workers: Worker[];
}
