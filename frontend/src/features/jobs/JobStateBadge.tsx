import type { JobState } from '../../api/types';
import { JOB_STATE_LABEL } from './words';
import './JobStateBadge.css';

export function JobStateBadge({ state }: { state: JobState }) {
  return (
    <span className={`badge badge--job-${state}`} data-job-state={state}>
      {JOB_STATE_LABEL[state]}
    </span>
  );
}
