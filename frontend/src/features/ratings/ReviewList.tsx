import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import type { Rating } from '../../api/types';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { formatDateTime } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useCanAct } from '../auth';
import { useHideReview, useReviews } from './api';
import { Stars } from './Stars';
import { PendingButton } from '../../ui/PendingButton';
import './Ratings.css';

/**
 * A provider's reviews, newest first. `admin` (the console): each with its booking's link,
 * and for an admin hiding or showing its comment with a reason (the stars still count).
 */
export function ReviewList({ providerId, admin = false }: { providerId: number; admin?: boolean }) {
  const reviews = useReviews(providerId);
  const canAct = useCanAct();
  const items = reviews.data?.pages.flatMap((p) => p.items) ?? [];
  if (reviews.isPending) return <Loading label="Loading reviews…" />;
  if (!reviews.data) return <ErrorAlert error={reviews.error} />;
  if (!items.length) return <Empty>No reviews yet.</Empty>;
  return (
    <>
      <ul className="review-list" data-testid="review-list">
        {items.map((r) => (
          <li key={r.booking_id} data-testid="review">
            <p>
              <Stars stars={r.stars} /> <span className="muted">{formatDateTime(r.created_at)}</span>
              {admin && (
                <>
                  {' '}
                  · <Link to={`/admin/bookings/${r.booking_id}`}>Booking #{r.booking_id}</Link>
                </>
              )}
            </p>
            {r.comment && <p className="timeline__reason">“{r.comment}”</p>}
            {r.hidden && <p className="muted">Comment hidden{admin && r.hidden_reason ? `: ${r.hidden_reason}` : ' by the team'}.</p>}
            {admin && canAct && <HideControl providerId={providerId} review={r} />}
          </li>
        ))}
      </ul>
      {reviews.hasNextPage && (
        <div className="actions">
          <PendingButton type="button" className="btn" onClick={() => reviews.fetchNextPage()} pending={reviews.isFetchingNextPage}>
            {reviews.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </PendingButton>
        </div>
      )}
    </>
  );
}

function HideControl({ providerId, review }: { providerId: number; review: Rating }) {
  const hide = useHideReview(providerId);
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  if (!review.comment && !review.hidden) return null;
  if (!open) {
    return (
      <button type="button" className="btn btn--small" onClick={() => setOpen(true)}>
        {review.hidden ? 'Show comment' : 'Hide comment'}
      </button>
    );
  }
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!reason.trim()) return;
        hide.mutate(
          { bookingId: review.booking_id, hidden: !review.hidden, reason: reason.trim() },
          {
            onSuccess: () => {
              toast(review.hidden ? 'Comment shown again.' : 'Comment hidden.', 'success', { stay: true });
              setOpen(false);
              setReason('');
            },
          },
        );
      }}
    >
      {hide.error && <ErrorAlert>{errorMessage(hide.error)}</ErrorAlert>}
      <TextField
        id={`hide-reason-${review.booking_id}`}
        label={review.hidden ? 'Why show it again?' : 'Why hide it?'}
        required
        maxLength={1000}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <div className="actions">
        <button type="button" className="btn btn--small" onClick={() => setOpen(false)}>
          Go back
        </button>
        <PendingButton type="submit" className="btn btn--small btn--primary" pending={hide.isPending} disabled={!reason.trim()}>
          {review.hidden ? 'Show comment' : 'Hide comment'}
        </PendingButton>
      </div>
    </form>
  );
}
