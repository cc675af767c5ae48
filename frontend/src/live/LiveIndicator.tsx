import type { LiveState } from './useLiveEvents';
import './LiveIndicator.css';

const TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  'signed-out': 'Signed out',
};

export function LiveIndicator({ state }: { state: LiveState }) {
  return (
    <span
      className={`live live--${state}`}
      role="status"
      aria-live="polite"
      data-testid="live-indicator"
      data-state={state}
      title={state === 'live' ? 'Updates appear as they happen' : undefined}
    >
      <span className="live__dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
