import { Link } from 'react-router';
import type { Job } from '../../api/types';
import { useServiceLabel } from '../providers';
import { formatWindow } from '../../ui/time';
import { statusLabel } from '../bookings';

/** The booking a job is about, in plain words: its link, the service, the customer and when. */
export function JobBooking({ job }: { job: Job }) {
  const serviceLabel = useServiceLabel();
  if (job.booking_id === null) return <>—</>;
  const b = job.booking;
  return (
    <>
      <Link to={`/admin/bookings/${job.booking_id}`}>Booking #{job.booking_id}</Link>
      {b && (
        <span className="block muted small" data-testid="job-booking">
          {serviceLabel(b.service_type)} for {b.customer_name}, {formatWindow(b.starts_at, null, b.time_zone)} ·{' '}
          {statusLabel(b.status).toLowerCase()}
        </span>
      )}
    </>
  );
}
