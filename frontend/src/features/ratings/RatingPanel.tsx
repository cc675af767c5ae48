import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { BookingDetail } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { TextAreaField } from '../../ui/Field';
import { useFormFeedback } from '../../ui/formFeedback';
import { formatDateTime } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useRate } from './api';
import { Stars } from './Stars';
import { PendingButton } from '../../ui/PendingButton';
import './Ratings.css';

const MAX_COMMENT = 1000;

/**
 * The customer's rating of a completed booking: a form until they rate it, then the stars
 * and comment, which they may change within a day.
 */
export function RatingPanel({ booking }: { booking: BookingDetail }) {
  const rating = booking.rating;
  const [editing, setEditing] = useState(false);
  // When the page opened: whether the rating may still be changed is decided then (the
  // API has the last word if the window closes meanwhile).
  const [openedAt] = useState(() => Date.now());
  if (booking.status !== 'completed') return null;
  const editable = rating !== null && new Date(rating.editable_until).getTime() > openedAt;
  return (
    <div data-testid="rating-panel">
      <h2>{rating ? 'Your rating' : 'How did it go?'}</h2>
      {rating && !editing ? (
        <>
          <p>
            <Stars stars={rating.stars} />
            {rating.hidden && <span className="muted"> (your comment was hidden by our team)</span>}
          </p>
          {rating.comment && <p className="timeline__reason">“{rating.comment}”</p>}
          {editable && (
            <p className="muted">
              You can change it until {formatDateTime(rating.editable_until)}.{' '}
              <button type="button" className="btn btn--small" onClick={() => setEditing(true)}>
                Change rating
              </button>
            </p>
          )}
        </>
      ) : (
        <RatingForm booking={booking} onDone={() => setEditing(false)} />
      )}
    </div>
  );
}

function RatingForm({ booking, onDone }: { booking: BookingDetail; onDone: () => void }) {
  const given = booking.rating;
  const rate = useRate(booking.id, given !== null);
  const toast = useToast();
  const [stars, setStars] = useState<number>(given?.stars ?? 0);
  const [comment, setComment] = useState(given?.comment ?? '');
  const [missing, setMissing] = useState(false);
  const { form, visible } = useFormFeedback();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!stars) {
      setMissing(true);
      return;
    }
    rate.mutate(
      { stars, comment: comment.trim() || null },
      {
        onSuccess: () => {
          toast(given ? 'Rating changed.' : 'Thank you for rating.');
          onDone();
        },
      },
    );
  };

  const apiFields = visible(rate.error instanceof ApiError ? rate.error.fields : {});
  return (
    <form {...form} onSubmit={submit} noValidate>
      {rate.error && <ErrorAlert>{errorMessage(rate.error)}</ErrorAlert>}
      <fieldset className="star-picker" aria-describedby={missing ? 'rating-stars-error' : undefined}>
        <legend>Stars</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input
              type="radio"
              name="stars"
              value={n}
              checked={stars === n}
              onChange={() => {
                setStars(n);
                setMissing(false);
              }}
            />
            <span>
              {n} {n === 1 ? 'star' : 'stars'}
            </span>
          </label>
        ))}
      </fieldset>
      {(missing || apiFields.stars) && (
        <p className="field__error" id="rating-stars-error" role="alert">
          {missing ? 'Choose from 1 to 5 stars.' : apiFields.stars}
        </p>
      )}
      <TextAreaField
        id="rating-comment"
        name="comment"
        label="Comment (optional)"
        maxLength={MAX_COMMENT}
        hint={`What went well or not, in up to ${MAX_COMMENT} characters. The provider reads it.`}
        value={comment}
        error={apiFields.comment}
        onChange={(e) => setComment(e.target.value)}
      />
      <div className="actions">
        <PendingButton type="submit" className="btn btn--primary" pending={rate.isPending}>
          {rate.isPending ? 'Saving…' : given ? 'Save rating' : 'Rate this job'}
        </PendingButton>
      </div>
    </form>
  );
}
