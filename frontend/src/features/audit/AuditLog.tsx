import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/client';
import type { AuditFilters } from '../../api/queryKeys';
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from '../../api/types';
import { useShowStateAgain } from '../../ui/controlled';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { TableScroll } from '../../ui/Table';
import { formatDateTime } from '../../ui/time';
import { useAudit } from './api';
import {
  AUDIT_ACTION_LABEL,
  auditFiltersFromParams,
  auditFiltersToParams,
  isAuditFiltered,
  NO_AUDIT_FILTERS,
  parseActorId,
} from './filters';
import { PendingButton } from '../../ui/PendingButton';
import './AuditLog.css';

/**
 * The filters. The action and the days apply at once; the actor's id on Apply or Enter. Keyed
 * on the address by its parent, so that it always shows what the address holds.
 */
function AuditFilterForm({ filters, onChange }: { filters: AuditFilters; onChange: (f: AuditFilters) => void }) {
  const [actor, setActor] = useState(filters.actor);
  const [actorError, setActorError] = useState<string>();
  const showStateAgain = useShowStateAgain();
  const apply = (next: Partial<AuditFilters>) => {
    const id = parseActorId(actor);
    if (id === null) {
      setActorError('Enter an account number, such as 1.');
      showStateAgain();
      return;
    }
    setActorError(undefined);
    onChange({ ...filters, actor: id, ...next });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({});
  };
  return (
    <form className="card filters" role="search" aria-label="Filter the audit log" onSubmit={submit} noValidate>
      <SelectField
        id="audit-action"
        label="Action"
        value={filters.action}
        onChange={(e) => apply({ action: e.target.value as AuditAction | '' })}
      >
        <option value="">All actions</option>
        {AUDIT_ACTIONS.map((a) => (
          <option key={a} value={a}>
            {AUDIT_ACTION_LABEL[a]}
          </option>
        ))}
      </SelectField>
      <TextField
        id="audit-actor"
        label="Account number"
        inputMode="numeric"
        placeholder="#1"
        value={actor}
        error={actorError}
        onChange={(e) => {
          setActor(e.target.value);
          setActorError(undefined);
        }}
      />
      <TextField
        id="audit-from"
        label="From"
        type="date"
        value={filters.from}
        max={filters.to || undefined}
        onChange={(e) => apply({ from: e.target.value })}
      />
      <TextField
        id="audit-to"
        label="To"
        type="date"
        value={filters.to}
        min={filters.from || undefined}
        onChange={(e) => apply({ to: e.target.value })}
      />
      <div className="actions filters__actions">
        <button type="submit" className="btn btn--primary">
          Apply
        </button>
        {isAuditFiltered(filters) && (
          <button type="button" className="btn" onClick={() => onChange(NO_AUDIT_FILTERS)}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const who = entry.actor_name ?? `Account #${entry.actor_id}`;
  return (
    <tr data-testid="audit-row" data-action={entry.action}>
      <td className="nowrap">
        <time dateTime={entry.at}>{formatDateTime(entry.at, true)}</time>
      </td>
      <td>
        <Link to={{ search: `?actor=${entry.actor_id}` }} aria-label={`${who}: only their actions`}>
          {who}
        </Link>{' '}
        <span className={`role role--${entry.actor_role}`}>{entry.actor_role}</span>
      </td>
      <td>{AUDIT_ACTION_LABEL[entry.action] ?? entry.action}</td>
      <td className="audit-log__subject">{entry.subject}</td>
      <td>{entry.count.toLocaleString()}</td>
      <td className="audit-log__detail">{entry.detail ?? <span className="muted">—</span>}</td>
    </tr>
  );
}

/**
 * What operators did, newest first: who, what, to what, how many things it changed, and
 * the detail it gave (a reason, the skipped jobs, the filter). Filtered by action, by
 * account and by days, all kept in the address; more on demand.
 */
export function AuditLog() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => auditFiltersFromParams(params), [params]);
  const address = auditFiltersToParams(filters).toString();
  const log = useAudit(filters);
  const items = log.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <AuditFilterForm key={address} filters={filters} onChange={(f) => setParams(auditFiltersToParams(f), { replace: true })} />
      {log.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : !log.data ? (
        <ErrorAlert error={log.error} />
      ) : items.length === 0 ? (
        <Empty>{isAuditFiltered(filters) ? 'No action matches these filters.' : 'No operator has done anything yet.'}</Empty>
      ) : (
        <TableScroll label="Table of operator actions" className={`card card--flush${log.isPlaceholderData ? ' audit-log--stale' : ''}`}>
          <table className="table table--compact" aria-label="Operator actions" aria-busy={log.isFetching} data-testid="audit-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">To what</th>
                <th scope="col">Changed</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <AuditRow key={e.id} entry={e} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {log.isError && log.data && <ErrorAlert>Could not refresh the audit log. {errorMessage(log.error)}</ErrorAlert>}
      {log.hasNextPage && (
        <div className="actions">
          <PendingButton type="button" className="btn" onClick={() => log.fetchNextPage()} pending={log.isFetchingNextPage}>
            {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </PendingButton>
        </div>
      )}
    </>
  );
}
