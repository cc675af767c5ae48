/**
 * The operator console's jobs: the job table (filtered, with retry, cancel and run now on a
 * selection or on every matching job), a job with its runs, and the queues (depth, pause
 * and resume) with the workers.
 */
export { JobDetailView } from './JobDetailView';
export { JobList, useJobFilters } from './JobList';
export { QueueOverview } from './QueueOverview';
export { PausedQueues } from './PausedQueues';
