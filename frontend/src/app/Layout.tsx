import type { QueryClient } from '@tanstack/react-query';
import { Suspense, useCallback, useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { onSessionEnded } from '../api/client';
import { keys } from '../api/queryKeys';
import type { HistoryRow, Role, User } from '../api/types';
import { fetchMe, markSessionEnded, SignInAgain, useMe, useSessionEnded, useSignOut } from '../features/auth';
import { noteBookingEvent, providerNews } from '../features/bookings';
import { LiveIndicator } from '../live/LiveIndicator';
import { useLiveEvents } from '../live/useLiveEvents';
import { Loading } from '../ui/Feedback';
import { useToast } from '../ui/Toast';
import { usePageHeading } from './pageHeading';
import { PendingButton } from '../ui/PendingButton';
import './Layout.css';

type NavItem = { to: string; label: string; end?: boolean };

/** The console's pages: an admin's; a viewer has them all but the accounts, which are an admin's alone. */
const CONSOLE: (NavItem & { adminOnly?: boolean })[] = [
  { to: '/admin', label: 'Bookings', end: true },
  { to: '/admin/jobs', label: 'Jobs' },
  { to: '/admin/providers', label: 'Providers' },
  { to: '/admin/queue', label: 'Queue' },
  { to: '/admin/analytics', label: 'Analytics' },
  { to: '/admin/audit', label: 'Audit' },
  { to: '/admin/users', label: 'Accounts', adminOnly: true },
];

/** The pages of each role that signs in (the system role never does). */
const NAV: Record<Exclude<Role, 'system'>, NavItem[]> = {
  customer: [
    { to: '/bookings', label: 'My bookings', end: true },
    { to: '/bookings/new', label: 'Book a service' },
  ],
  provider: [
    { to: '/provider', label: 'My jobs', end: true },
    { to: '/provider/history', label: 'History' },
    { to: '/provider/reviews', label: 'Reviews' },
    { to: '/provider/calendar', label: 'Working hours' },
  ],
  admin: CONSOLE,
  viewer: CONSOLE.filter((n) => !n.adminOnly),
};

/** How the event stream learns that the session ended, and says so. */
const SESSION_WATCH = {
  live: () => fetchMe().then((u) => u !== null),
  onEnded: markSessionEnded,
};

export function Layout() {
  const me = useMe();
  const user = me.data ?? null;
  const sessionEnded = useSessionEnded();
  // A provider hears of changes to their jobs on whatever page they are; a new offer
  // only off the agenda, which announces it itself with its service.
  const toast = useToast();
  const path = useRef('');
  const { pathname } = useLocation();
  useEffect(() => {
    path.current = pathname;
  }, [pathname]);
  const onBookingEvent = useCallback(
    (qc: QueryClient, row: HistoryRow) => {
      noteBookingEvent(qc, row);
      const news = providerNews(qc.getQueryData<User | null>(keys.me), row);
      if (news && !(news.offer && path.current === '/provider')) toast(news.text, 'info');
    },
    [toast],
  );
  const live = useLiveEvents(!!user && !sessionEnded, onBookingEvent, SESSION_WATCH);
  // While someone is signed in, a 401 from any request means their session ended.
  const signedIn = !!user;
  useEffect(() => (signedIn ? onSessionEnded(markSessionEnded) : undefined), [signedIn]);
  const signOut = useSignOut();
  const navigate = useNavigate();
  const main = useRef<HTMLElement>(null);
  usePageHeading(main);

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
              {user.role === 'viewer' && (
                <span className="read-only" data-testid="read-only" title="You can see the console but not change anything">
                  Read-only
                </span>
              )}
              <LiveIndicator state={sessionEnded ? 'signed-out' : live} />
              <Link to="/account" className="topbar__name" title={`${user.email}: your account`}>
                {user.name} <span className={`role role--${user.role}`}>{user.role}</span>
              </Link>
              <PendingButton
                type="button"
                className="btn btn--small"
                pending={signOut.isPending}
                onClick={() => signOut.mutate(undefined, { onSettled: () => navigate('/signin', { replace: true }) })}
              >
                Sign out
              </PendingButton>
            </div>
          )}
        </div>
      </header>
      {user && <SignInAgain user={user} />}
      <main id="main" className="main" tabIndex={-1} ref={main}>
        <Suspense fallback={<Loading label="Loading the page…" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
