import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { BookingDetail } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { useNow } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useReschedule } from './api';
import { SlotPicker, type ChosenSlot } from './SlotPicker';
import { PendingButton } from '../../ui/PendingButton';

/** How long before the start a customer may still move a booking (the API's rule). */
const NOTICE_MS = 2 * 3600_000;
const MOVABLE = new Set(['pending', 'assigned', 'accepted', 'rejected', 'no_show']);

/**
 * Whether the booking can still be moved now: by its customer until 2 hours before it
 * starts, by a dispatcher (`byAdmin`) until it starts.
 */
export function canReschedule(b: Pick<BookingDetail, 'status' | 'starts_at'>, now: number, byAdmin = false): boolean {
  return MOVABLE.has(b.status) && Date.parse(b.starts_at) - now > (byAdmin ? 0 : NOTICE_MS);
}

/**
 * Moving a booking to another free start: by its customer up to 2 hours before it, by an
 * admin (`byAdmin`, a dispatcher taking the customer's call) until it starts. The provider
 * keeps it if they are free then (and is asked to accept again); otherwise it goes back to
 * dispatch.
 */
export function RescheduleForm({ booking, byAdmin = false }: { booking: BookingDetail; byAdmin?: boolean }) {
  const move = useReschedule(booking.id);
  const toast = useToast();
  const now = useNow(60_000);
  const [open, setOpen] = useState(false);
  const [slot, setSlot] = useState<ChosenSlot | null>(null);
  const [pickError, setPickError] = useState<string | undefined>();
  const [origin] = useState(() => Date.now());

  if (!canReschedule(booking, now, byAdmin)) {
    // Too close to move, but still to come: say why there is no move, rather than nothing.
    const tooClose = !byAdmin && MOVABLE.has(booking.status) && Date.parse(booking.starts_at) > now;
    return tooClose ? (
      <div>
        <h2>Another time?</h2>
        <p className="muted" data-testid="move-too-late">
          It starts in less than 2 hours, too soon to move it.
        </p>
      </div>
    ) : null;
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!slot) {
      setPickError('Choose a new day and start time.');
      return;
    }
    move.mutate(
      { starts_at: slot.starts_at, expected_version: booking.version },
      {
        onSuccess: () => {
          setOpen(false);
          setSlot(null);
          toast(`Booking #${booking.id} moved.`);
        },
      },
    );
  };

  const fieldError = pickError ?? (move.error instanceof ApiError ? move.error.fields.starts_at : undefined);
  return (
    <div>
      <h2>{byAdmin ? 'Move to another time' : 'Another time?'}</h2>
      {!open ? (
        <>
          <p className="muted">
            {byAdmin
              ? 'Until it starts. The provider keeps it if free then, and is asked to accept again; otherwise it goes back to dispatch.'
              : 'You can move this booking until 2 hours before it starts.'}
          </p>
          <button type="button" className="btn" onClick={() => setOpen(true)}>
            Move to another time
          </button>
        </>
      ) : (
        <form onSubmit={submit} noValidate aria-label="Move the booking">
          <SlotPicker
            serviceType={booking.service_type}
            origin={origin}
            exclude={booking.starts_at}
            moving={booking.id}
            value={slot}
            error={fieldError}
            onChange={(s) => {
              setSlot(s);
              setPickError(undefined);
              move.reset();
            }}
          />
          {move.error && !(move.error instanceof ApiError && move.error.fields.starts_at) && (
            <ErrorAlert>{errorMessage(move.error)}</ErrorAlert>
          )}
          <div className="actions">
            <PendingButton type="submit" className="btn btn--primary" pending={move.isPending}>
              {move.isPending ? 'Moving…' : 'Move booking'}
            </PendingButton>
            <PendingButton type="button" className="btn" onClick={() => setOpen(false)} pending={move.isPending}>
              Keep the current time
            </PendingButton>
          </div>
        </form>
      )}
    </div>
  );
}
