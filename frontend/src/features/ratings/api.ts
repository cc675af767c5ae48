import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { Rating, RatingRequest, ReviewPage } from '../../api/types';

/** Rates a completed booking (`edit`: changes the rating given). */
export function useRate(bookingId: number, edit: boolean) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: RatingRequest) => api<Rating>(`/bookings/${bookingId}/rating`, { method: edit ? 'PATCH' : 'POST', body }),
    onSettled: () =>
      Promise.all([qc.invalidateQueries({ queryKey: keys.booking(bookingId) }), qc.invalidateQueries({ queryKey: keys.providers })]),
  });
}

/** A provider's reviews, newest first. */
export function useReviews(providerId: number) {
  return useInfiniteQuery({
    queryKey: keys.reviews(providerId),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) =>
      api<ReviewPage>(`/providers/${providerId}/reviews`, { query: { cursor: pageParam, limit: 20 }, signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** Hides a review's comment, or shows it again (admins). */
export function useHideReview(providerId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ bookingId, hidden, reason }: { bookingId: number; hidden: boolean; reason: string }) =>
      api<Rating>(`/admin/reviews/${bookingId}`, { method: 'PATCH', body: { hidden, reason } }),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.reviews(providerId) }),
  });
}
