import type { ActionReport, JobActionRequest } from '../../api/types';
import { Notice } from '../../ui/Feedback';
import { ACTION_WORDS, moreSkipped, reportHeadline, type JobAction } from './words';

/** An action's outcome as the page keeps it until the reader dismisses it. */
export interface ActionOutcome {
  action: JobAction;
  request: JobActionRequest;
  report: ActionReport;
}

/** What an action did: how many jobs it changed, and which it skipped and why. Stays until dismissed. */
export function ActionReportNotice({ outcome, onDismiss }: { outcome: ActionOutcome; onDismiss: () => void }) {
  const { action, request, report } = outcome;
  const more = moreSkipped(report);
  return (
    <Notice tone={report.skipped_count > 0 ? 'warning' : 'success'} testId="action-report" onDismiss={onDismiss}>
      <strong className="block">{reportHeadline(action, request, report)}</strong>
      {report.changed > 0 && <span className="block">{ACTION_WORDS[action].then}</span>}
      {report.skipped_count > 0 && (
        <>
          <span className="block">
            Skipped {report.skipped_count.toLocaleString()} {report.skipped_count === 1 ? 'job' : 'jobs'}:
          </span>
          {/* Up to 1,000 lines: a box of its own that scrolls, reachable by keyboard. */}
          <ul className="action-report__skipped" tabIndex={report.skipped.length > 8 ? 0 : undefined} aria-label="Skipped jobs">
            {report.skipped.map((s) => (
              <li key={s.id}>
                #{s.id}: {s.reason}
              </li>
            ))}
            {more && <li>{more}</li>}
          </ul>
        </>
      )}
    </Notice>
  );
}
