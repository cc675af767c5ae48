import type { Booking } from '../../api/types';
import { formatWindow } from '../../ui/time';

/**
 * When the work happens, on the address's clock and labelled with its zone: the customer
 * in Los Angeles and the provider in Berlin read the same "10:00 – 12:00 CET".
 */
export function When({ booking }: { booking: Pick<Booking, 'starts_at' | 'ends_at' | 'time_zone'> }) {
  // Each end kept on one line, the line free to break between them: a window across
  // midnight ("Wed, Dec 9, 2026, 11:00 PM – Thu, Dec 10, 2026, 1:00 AM UTC") on one line
  // widened a table's column for every row.
  const [from, to] = formatWindow(booking.starts_at, booking.ends_at, booking.time_zone).split(' – ');
  return (
    <time dateTime={booking.starts_at} title={booking.time_zone} data-testid="booking-when">
      {to === undefined ? (
        from
      ) : (
        <>
          <span className="nowrap">{from} –</span> <span className="nowrap">{to}</span>
        </>
      )}
    </time>
  );
}
