/**
 * The API's JSON, by the names the frontend uses. Every type here is the API's own,
 * generated from its OpenAPI document into `schema.d.ts` (`npm run types`; `npm run
 * types:check` fails when the two differ), so a change to the API's types is a type
 * error here, not a surprise at run time.
 */
import type { components, operations } from './schema';

type Schemas = components['schemas'];

export type Role = Schemas['Role'];
/** The roles of the operator console: an admin acts, a viewer only looks. */
export type OperatorRole = Schemas['OperatorRole'];
export type User = Schemas['UserView'];
export type AuthResponse = Schemas['Session'];
export type LoginRequest = Schemas['LoginRequest'];
export type RegisterRequest = Schemas['RegisterRequest'];
export type DemoLogin = Schemas['DemoLogin'];
export type DemoInfo = Schemas['DemoLogins'];
export type ChangePassword = Schemas['ChangePasswordRequest'];
export type UpdateMe = Schemas['UpdateMeRequest'];
export type ResetPassword = Schemas['ResetPasswordRequest'];
export type AdminUser = Schemas['AdminUserView'];
export type NewOperator = Schemas['CreateUser'];
export type UserPage = Schemas['UserPage'];
export type ResetLink = Schemas['ResetLink'];
export type Rating = Schemas['RatingView'];
export type RatingRequest = Schemas['RatingRequest'];
export type ReviewPage = Schemas['ReviewPage'];

export type ServiceTypeName = Schemas['ServiceTypeName'];
export type ServiceType = Schemas['ServiceTypeView'];

export type BookingStatus = Schemas['Status'];
export const STATUSES = [
  'pending',
  'assigned',
  'accepted',
  'in_progress',
  'completed',
  'cancelled',
  'rejected',
  'no_show',
] as const satisfies readonly BookingStatus[];

export type Booking = Schemas['BookingView'];
export type PassedOn = Schemas['PassedOn'];
export type ActorRole = Role;
export type HistoryRow = Schemas['HistoryView'];
export type AttemptOutcome = Schemas['AttemptOutcome'];
export type AssignmentAttempt = Schemas['AttemptView'];
export type JobState = Schemas['JobState'];
export const JOB_STATES = ['scheduled', 'running', 'retrying', 'dead', 'done', 'cancelled'] as const satisfies readonly JobState[];
export type Assignment = Schemas['AssignmentView'];
export type BookingDetail = Schemas['BookingDetailView'];
export type BookingPage = Schemas['BookingPageView'];

export type NewBooking = Schemas['BookingRequest'];
export type RequestedStatus = Schemas['RequestedStatus'];
export type StatusChange = Schemas['StatusChange'];

/** Whether one may ask for status `s` (assigning takes a provider, through its own route). */
export function isRequestable(s: BookingStatus): s is RequestedStatus {
  return s !== 'assigned';
}
export type AssignRequest = Schemas['AssignRequest'];
export type Reschedule = Schemas['RescheduleRequest'];
export type Absent = Schemas['Absent'];
export type Candidate = Schemas['CandidateView'];

export type TimeZoneName = Schemas['TimeZoneName'];
export type Availability = Schemas['AvailabilityView'];
export type Slot = Schemas['SlotView'];
export type Calendar = Schemas['CalendarView'];
export type CalendarBody = Schemas['CalendarBody'];
export type WeeklyHours = Schemas['WeeklyHoursView'];
export type DateHours = Schemas['DateHoursView'];
export type Weekday = Schemas['WeekdayName'];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly Weekday[];

export type Provider = Schemas['ProviderView'];
export type NewProvider = Schemas['CreateProvider'];
export type ProviderPatch = Schemas['UpdateProvider'];

export type JobError = Schemas['JobErrorView'];
export type Job = Schemas['JobView'];
export type JobPage = Schemas['JobPage'];
export type JobSort = NonNullable<NonNullable<operations['listJobs']['parameters']['query']>['sort']>;
export type JobDetail = Schemas['JobDetailView'];
export type JobRun = Schemas['JobRunView'];
export type RunOutcome = Schemas['RunOutcome'];
export type JobActionRequest = Schemas['JobActionRequest'];
export type JobFilterBody = Extract<JobActionRequest, { filter: unknown }>['filter'];
export type ActionReport = Schemas['ActionReportView'];
export type SkippedJob = Schemas['SkippedJobView'];
export type QueueInfo = Schemas['QueueView'];
export type AuditAction = Schemas['AuditAction'];
export const AUDIT_ACTIONS = [
  'retry_jobs',
  'cancel_jobs',
  'run_jobs_now',
  'pause_queue',
  'resume_queue',
  'assign_booking',
  'override_status',
  'create_provider',
  'update_provider',
  'hide_review',
  'show_review',
  'create_user',
  'disable_user',
  'enable_user',
  'issue_reset_link',
] as const satisfies readonly AuditAction[];
export type AuditEntry = Schemas['AuditEntryView'];
export type AuditPage = Schemas['AuditPage'];
export type Worker = Schemas['WorkerView'];
export type Stats = Schemas['StatsView'];

export type ErrorBody = Schemas['ErrorBody'];

export type Analytics = Schemas['AnalyticsView'];
export type AnalyticsBucket = Schemas['BucketView'];
export type AnalyticsRates = Schemas['RatesView'];
export type DemandCell = Schemas['DemandView'];
export type ProviderFigures = Schemas['ProviderFiguresView'];
export type BucketName = Schemas['BucketName'];
