import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import { keys } from '../../api/queryKeys';
import { clearSessionEnded } from './session';
import type {
  AuthResponse,
  ChangePassword,
  DemoInfo,
  LoginRequest,
  RegisterRequest,
  ResetPassword,
  Role,
  UpdateMe,
  User,
} from '../../api/types';

/** Who is signed in: the user, or null when the session cookie is missing or expired. */
export async function fetchMe(): Promise<User | null> {
  try {
    return await api<User>('/auth/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function useMe() {
  return useQuery({ queryKey: keys.me, queryFn: fetchMe, staleTime: 5 * 60_000 });
}

/**
 * Whether the signed-in user may act in the operator console (an admin), or only look (a
 * viewer, whom the API refuses every change with 403). Pages show a viewer no control that
 * would change anything: not a disabled one, none.
 */
export function useCanAct(): boolean {
  return useMe().data?.role === 'admin';
}

/** The roles that see the operator console. */
export const OPERATOR_ROLES: Role[] = ['admin', 'viewer'];

export function useDemoLogins() {
  return useQuery({ queryKey: keys.demo, queryFn: () => api<DemoInfo>('/auth/demo'), staleTime: Infinity });
}

export function roleHome(role: Role): string {
  switch (role) {
    case 'customer':
      return '/bookings';
    case 'provider':
      return '/provider';
    case 'admin':
    case 'viewer':
      return '/admin';
    case 'system':
      return '/';
  }
}

export function useSignIn() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (c: LoginRequest) => api<AuthResponse>('/auth/login', { method: 'POST', body: c }),
    onSuccess: (res) => {
      // Whatever a previous user left in the cache is not this user's to see.
      clearSessionEnded();
      qc.clear();
      qc.setQueryData(keys.me, res.user);
    },
  });
}

export function useSignUp() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (b: RegisterRequest) => api<AuthResponse>('/auth/register', { method: 'POST', body: b }),
    onSuccess: (res) => {
      clearSessionEnded();
      qc.clear();
      qc.setQueryData(keys.me, res.user);
    },
  });
}

export function useSignOut() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>('/auth/logout', { method: 'POST' }),
    onSettled: () => {
      // Signed out (or the session was already gone): drop every cached answer. Setting
      // `me` to null unmounts the signed-in layout, which closes the event stream. A 401
      // that raced the sign-out says nothing to the next person who signs in here.
      clearSessionEnded();
      qc.clear();
      qc.setQueryData(keys.me, null);
    },
  });
}

/** Ends every session of the signed-in user, this one too. */
export function useSignOutEverywhere() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>('/auth/logout-all', { method: 'POST' }),
    onSuccess: () => {
      clearSessionEnded();
      qc.clear();
      qc.setQueryData(keys.me, null);
    },
  });
}

/** Changes the password; the account's other sessions end, this one goes on. */
export function useChangePassword() {
  return useMutation({
    mutationFn: (b: ChangePassword) => api<void>('/auth/password', { method: 'POST', body: b }),
  });
}

/** Changes the signed-in user's name or sign-in e-mail; every page then shows the account as saved. */
export function useUpdateDetails() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (b: UpdateMe) => api<User>('/auth/me', { method: 'PATCH', body: b }),
    onSuccess: (user) => qc.setQueryData(keys.me, user),
  });
}

/** Sets a new password with a reset link's token. */
export function useResetPassword() {
  return useMutation({
    mutationFn: (b: ResetPassword) => api<void>('/auth/reset', { method: 'POST', body: b }),
  });
}
