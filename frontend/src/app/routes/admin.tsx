/**
 * The operator console's pages: all bookings, the analytics dashboard, a booking with the
 * admin's tools, jobs (and a job), providers (each with calendar and day), the queues, the
 * audit log, accounts. A viewer opens them all but the accounts, and is shown no control
 * that would change anything (useCanAct).
 */
import { Link, useParams } from 'react-router';
import {
  AssignPanel,
  BookingDetailView,
  BookingsTable,
  OverridePanel,
  ProviderDay,
  RescheduleForm,
  StatusActions,
} from '../../features/bookings';
import { AuditLog } from '../../features/audit';
import { JobDetailView, JobList, PausedQueues, QueueOverview, useJobFilters } from '../../features/jobs';
import {
  AddProvider,
  CalendarEditor,
  CalendarSummary,
  InactiveBadge,
  ProviderActivation,
  ProviderEditor,
  ProviderList,
  useProviderName,
  useProviders,
  useServiceTypes,
} from '../../features/providers';
import { Dashboard } from '../../features/analytics';
import { useCanAct, useMe } from '../../features/auth';
import { ratingSummary, ReviewList } from '../../features/ratings';
import { AddOperator, UserList } from '../../features/users';
import { ErrorAlert, Loading } from '../../ui/Feedback';

export function AdminBookingsPage() {
  return (
    <section aria-labelledby="admin-bookings-title">
      <div className="page-head">
        <h1 id="admin-bookings-title">Bookings</h1>
      </div>
      <BookingsTable />
    </section>
  );
}

export function AdminBookingPage() {
  const id = Number(useParams().id);
  const providerName = useProviderName();
  const canAct = useCanAct();
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/admin', label: 'All bookings' }}
      providerName={providerName}
      exhaustedHint={
        canAct ? 'Retry it from Jobs, or assign a provider by hand below.' : 'An admin can retry it, or assign a provider by hand.'
      }
      actions={
        canAct
          ? (b) => (
              <>
                {b.allowed_transitions.length > 0 && (
                  <div>
                    <h2>Moves</h2>
                    <StatusActions booking={b} confirmationsStay />
                  </div>
                )}
                <AssignPanel booking={b} />
                <RescheduleForm booking={b} byAdmin />
                <OverridePanel booking={b} />
              </>
            )
          : undefined
      }
    />
  );
}

export function JobsPage() {
  const [filters, setFilters] = useJobFilters();
  return (
    <section aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Jobs</h1>
      </div>
      <PausedQueues />
      <JobList filters={filters} onFiltersChange={setFilters} />
    </section>
  );
}

export function AdminJobPage() {
  return <JobDetailView id={Number(useParams().id)} />;
}

export function AuditPage() {
  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
      </div>
      <AuditLog />
    </section>
  );
}

export function ProvidersPage() {
  const canAct = useCanAct();
  return (
    <section aria-labelledby="providers-title">
      <div className="page-head">
        <h1 id="providers-title">Providers</h1>
      </div>
      {canAct && <AddProvider />}
      <ProviderList />
    </section>
  );
}

export function QueuePage() {
  return (
    <section aria-labelledby="queue-title">
      <div className="page-head">
        <h1 id="queue-title">Queues and workers</h1>
      </div>
      <QueueOverview />
    </section>
  );
}

export function AdminUsersPage() {
  const me = useMe();
  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Accounts</h1>
      </div>
      <AddOperator />
      <h2>All accounts</h2>
      {me.data && <UserList me={me.data.id} />}
    </section>
  );
}

/**
 * One provider: their details (editable), deactivating or reactivating them, their jobs on a
 * day (in time order), their working hours (editable) and reviews. A viewer reads them all.
 */
export function AdminProviderPage() {
  const id = Number(useParams().id);
  const providers = useProviders();
  const types = useServiceTypes();
  const canAct = useCanAct();
  const provider = providers.data?.find((p) => p.id === id);
  return (
    <section aria-labelledby="admin-provider-title">
      <p className="back">
        <Link to="/admin/providers">← Providers</Link>
      </p>
      {providers.isPending ? (
        <Loading label="Loading provider…" />
      ) : providers.isError ? (
        <ErrorAlert error={providers.error} />
      ) : !provider ? (
        <>
          <h1 id="admin-provider-title">Provider #{Number.isInteger(id) ? id : '?'}</h1>
          <ErrorAlert>There is no such provider.</ErrorAlert>
        </>
      ) : (
        <>
          <div className="page-head">
            <h1 id="admin-provider-title">
              {provider.name}
              {!provider.active && (
                <>
                  {' '}
                  <InactiveBadge />
                </>
              )}
            </h1>
            <span className="muted">
              {!provider.active ? 'Deactivated' : provider.available ? 'Taking work' : 'Not taking work'} · load {provider.active_bookings}{' '}
              · {ratingSummary(provider.rating_mean, provider.rating_count)} · rank {provider.rating.toFixed(2)}
            </span>
          </div>
          {canAct ? (
            <>
              <div className="card">
                <h2>Details</h2>
                {types.data ? <ProviderEditor provider={provider} serviceTypes={types.data} /> : <Loading label="Loading services…" />}
              </div>
              <div className="card">
                <h2>{provider.active ? 'Deactivate' : 'Reactivate'}</h2>
                <ProviderActivation provider={provider} />
              </div>
            </>
          ) : (
            <p className="muted" data-testid="provider-contact">
              {provider.email}
              {provider.phone ? ` · ${provider.phone}` : ''}
            </p>
          )}
          <div className="card">
            <h2>Day</h2>
            <ProviderDay provider={provider} />
          </div>
          <div className="card">
            <h2>Working hours</h2>
            {canAct ? <CalendarEditor providerId={provider.id} who="admin" /> : <CalendarSummary providerId={provider.id} />}
          </div>
          <div className="card">
            <h2>Reviews</h2>
            <ReviewList providerId={provider.id} admin />
          </div>
        </>
      )}
    </section>
  );
}

export function AnalyticsPage() {
  return (
    <section aria-labelledby="analytics-title">
      <div className="page-head">
        <h1 id="analytics-title">Analytics</h1>
      </div>
      <Dashboard />
    </section>
  );
}
