/** The job queue, for admins: jobs by state with their errors, retrying dead ones, counts and workers. */
export { JobList, useJobStateFilter } from './JobList';
export { QueueOverview } from './QueueOverview';
