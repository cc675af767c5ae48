import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { AdminUser, NewOperator, ResetLink, UserPage } from '../../api/types';

export function useUsers(role: string, q: string, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: keys.userList(role, q),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) => api<UserPage>('/admin/users', { query: { role, q, limit: pageSize, cursor: pageParam }, signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** An admin makes an operator's account (an admin or a viewer); the list refreshes. */
export function useCreateOperator() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewOperator) => api<AdminUser>('/admin/users', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.users }),
  });
}

export function useSetDisabled() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, disabled }: { id: number; disabled: boolean }) =>
      api<AdminUser>(`/admin/users/${id}`, { method: 'PATCH', body: { disabled } }),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.users }),
  });
}

export function useResetLink() {
  return useMutation({
    mutationFn: (id: number) => api<ResetLink>(`/admin/users/${id}/reset-link`, { method: 'POST' }),
  });
}
