import type { HistoryRow, User } from '../../api/types';

/** What a provider is told of a change on the live stream. */
export interface News {
  text: string;
  /** A new offer, which the agenda announces itself (with the service) while it is open. */
  offer: boolean;
}

/**
 * What a change someone else made means for the signed-in provider, in a sentence, on
 * whatever page they are: a new offer, a job moved (to accept again), cancelled, taken
 * back or reported missed, an offer that lapsed. The stream only carries changes of the
 * provider's own jobs. Null for anyone else, for their own moves, and for steps they need
 * not hear of.
 */
export function providerNews(me: User | null | undefined, h: HistoryRow): News | null {
  if (me?.role !== 'provider' || me.provider_id === null || h.old_status === null) return null;
  if (h.changed_by !== null && h.changed_by === me.id) return null;
  const job = `Job #${h.booking_id}`;
  const mine = h.provider_id === me.provider_id;
  const by = h.changed_by_role === 'customer' ? 'the customer' : 'the dispatcher';
  if (h.reason?.startsWith('rescheduled from') && mine && h.new_status === 'assigned') {
    return { text: `${job} was moved to another time: accept it again in My jobs.`, offer: false };
  }
  switch (h.new_status) {
    case 'assigned':
      return mine
        ? { text: `New job #${h.booking_id} offered to you: accept or reject it in My jobs.`, offer: true }
        : { text: `${job} was given to another provider by the dispatcher.`, offer: false };
    case 'cancelled':
      return { text: `${job} was cancelled by ${by}.`, offer: false };
    case 'rejected':
      return h.changed_by_role === 'system'
        ? { text: `The offer of job #${h.booking_id} lapsed unanswered: it goes to another provider.`, offer: false }
        : { text: `${job} was taken back by ${by}.`, offer: false };
    case 'pending':
      return { text: `${job} was taken back by ${by}.`, offer: false };
    case 'no_show':
      return h.changed_by_role === 'customer'
        ? { text: `The customer of job #${h.booking_id} reported that nobody came: it goes to another provider.`, offer: false }
        : null;
    default:
      return null;
  }
}
