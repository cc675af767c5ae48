import type { Booking } from '../../api/types';
import { formatWindow } from '../../ui/time';

/**
 * When the work happens, on the address's clock and labelled with its zone: the customer
 * in Los Angeles and the provider in Berlin read the same "10:00 – 12:00 CET".
 */
export function When({ booking }: { booking: Pick<Booking, 'starts_at' | 'ends_at' | 'time_zone'> }) {
  return (
    <time dateTime={booking.starts_at} title={booking.time_zone} data-testid="booking-when">
      {formatWindow(booking.starts_at, booking.ends_at, booking.time_zone)}
    </time>
  );
}
