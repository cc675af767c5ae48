import { Suspense } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import type { Role } from '../api/types';
import { useMe, useSignOut } from '../features/auth';
import { noteBookingEvent } from '../features/bookings';
import { LiveIndicator } from '../live/LiveIndicator';
import { useLiveEvents } from '../live/useLiveEvents';
import { Loading } from '../ui/Feedback';
import './Layout.css';

/** The pages of each role that signs in (the system role never does). */
const NAV: Record<Exclude<Role, 'system'>, { to: string; label: string; end?: boolean }[]> = {
  customer: [
    { to: '/bookings', label: 'My bookings', end: true },
    { to: '/bookings/new', label: 'Book a service' },
  ],
  provider: [
    { to: '/provider', label: 'My jobs', end: true },
    { to: '/provider/history', label: 'History' },
    { to: '/provider/calendar', label: 'Working hours' },
  ],
  admin: [
    { to: '/admin', label: 'Bookings', end: true },
    { to: '/admin/jobs', label: 'Dead jobs' },
    { to: '/admin/providers', label: 'Providers' },
    { to: '/admin/queue', label: 'Queue' },
  ],
};

export function Layout() {
  const me = useMe();
  const user = me.data ?? null;
  const live = useLiveEvents(!!user, noteBookingEvent);
  const signOut = useSignOut();
  const navigate = useNavigate();

  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar__inner">
          <NavLink to="/" className="brand">
            <span className="brand__mark" aria-hidden="true">
              ⌂
            </span>
            Home services
          </NavLink>
          {user && (
            <nav aria-label="Main" className="nav">
              {(user.role === 'system' ? [] : NAV[user.role]).map((n) => (
                <NavLink key={n.to} to={n.to} end={n.end} className="nav__link">
                  {n.label}
                </NavLink>
              ))}
            </nav>
          )}
          {user && (
            <div className="topbar__user">
              <LiveIndicator state={live} />
              <span className="topbar__name" title={user.email}>
                {user.name} <span className={`role role--${user.role}`}>{user.role}</span>
              </span>
              <button
                type="button"
                className="btn btn--small"
                disabled={signOut.isPending}
                onClick={() => signOut.mutate(undefined, { onSettled: () => navigate('/signin', { replace: true }) })}
              >
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <Suspense fallback={<Loading label="Loading the page…" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
