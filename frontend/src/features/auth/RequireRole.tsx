import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import type { Role } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { roleHome, useMe } from './api';

/**
 * Renders its children (or, as a layout route, the matched child route) for a signed-in user
 * of one of `roles`; sends anyone else where they belong.
 */
export function RequireRole({ roles, children }: { roles: Role[]; children?: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading label="Checking your session…" />;
  if (me.isError) return <ErrorAlert error={me.error} />;
  if (!me.data) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  if (!roles.includes(me.data.role)) return <Navigate to={roleHome(me.data.role)} replace />;
  return <>{children ?? <Outlet />}</>;
}

/** `/`: the signed-in user's home, or the sign-in page. */
export function HomeRedirect() {
  const me = useMe();
  if (me.isPending) return <Loading label="Checking your session…" />;
  if (me.isError) return <ErrorAlert error={me.error} />;
  return <Navigate to={me.data ? roleHome(me.data.role) : '/signin'} replace />;
}
