import type { Booking } from '../../api/types';
import { useNow } from '../../ui/time';
import './OfferDeadline.css';

// Labelled with its zone, as every moment on the pages is (`formatDateTime`).
const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });

/** "a minute", "12 min", "1 h 05 min": what is left, rounded up to the minute. */
function left(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (minutes <= 1) return 'a minute';
  if (minutes < 60) return `${minutes} min`;
  const m = minutes % 60;
  return `${Math.floor(minutes / 60)} h${m ? ` ${String(m).padStart(2, '0')} min` : ''}`;
}

/**
 * How long an offer waits for its provider's answer: to the provider "Answer within 12 min
 * (by 6:45 PM EST)", to anyone else "Waiting for the provider's answer, 12 min left (until
 * 6:45 PM EST)". The time is on the reader's clock, labelled: it is a moment, not the job's window.
 * Null without a deadline, or one that is not a time.
 */
export function offerDeadlineText(expiresAt: string | null | undefined, now: number, toProvider: boolean): string | null {
  if (!expiresAt) return null;
  const due = new Date(expiresAt).getTime();
  if (Number.isNaN(due)) return null;
  const ms = due - now;
  if (ms <= 0) {
    return toProvider
      ? 'The time to answer is up: the job goes to another provider.'
      : 'The provider did not answer in time: the job goes to another provider.';
  }
  const at = clock.format(due);
  return toProvider ? `Answer within ${left(ms)} (by ${at})` : `Waiting for the provider's answer, ${left(ms)} left (until ${at})`;
}

/**
 * The deadline of an offered booking (`assigned`), counting down by the minute: a warning
 * to the provider who must answer, a plain note to anyone else.
 */
export function OfferDeadline({
  booking,
  toProvider = false,
}: {
  booking: Pick<Booking, 'status' | 'offer_expires_at'>;
  toProvider?: boolean;
}) {
  const offered = booking.status === 'assigned' && !!booking.offer_expires_at;
  const now = useNow(10_000, offered);
  if (!offered) return null;
  const text = offerDeadlineText(booking.offer_expires_at, now, toProvider);
  if (!text) return null;
  return (
    <span className={`block ${toProvider ? 'offer-deadline' : 'muted'}`} data-testid="offer-deadline">
      {text}
    </span>
  );
}
