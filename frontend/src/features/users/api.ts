import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { AdminUser, ResetLink, UserPage } from '../../api/types';

export function useUsers(role: string, q: string, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: keys.userList(role, q),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) => api<UserPage>('/admin/users', { query: { role, q, limit: pageSize, cursor: pageParam }, signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
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
