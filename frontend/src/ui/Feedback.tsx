import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';
import './Feedback.css';

/** An error as a sentence, announced to screen readers. */
export function ErrorAlert({ error, children }: { error?: unknown; children?: ReactNode }) {
  if (!error && !children) return null;
  return (
    <div className="alert alert--error" role="alert">
      {children ?? errorMessage(error)}
    </div>
  );
}

/** A notice, announced politely; with `onDismiss` it stays until its close button is pressed. */
export function Notice({
  tone = 'info',
  children,
  testId,
  onDismiss,
}: {
  tone?: 'info' | 'success' | 'warning';
  children: ReactNode;
  testId?: string;
  onDismiss?: () => void;
}) {
  return (
    <div className={`alert alert--${tone}${onDismiss ? ' alert--dismissable' : ''}`} role="status" data-testid={testId}>
      {children}
      {onDismiss && (
        <button type="button" className="alert__close" onClick={onDismiss} aria-label="Dismiss">
          ✕
        </button>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
