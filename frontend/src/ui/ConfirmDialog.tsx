import type { ReactNode } from 'react';
import { useModal } from './useModal';
import { PendingButton } from './PendingButton';
import './ConfirmDialog.css';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation on the native <dialog>: it traps focus, closes on Escape and
 * returns focus to the opener, without any library.
 */
export function ConfirmDialog({ open, title, children, confirmLabel, danger, busy, onConfirm, onCancel }: ConfirmDialogProps) {
  const ref = useModal(open);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-dialog-title">{title}</h2>
      <div className="dialog__body">{children}</div>
      <div className="actions actions--end">
        <PendingButton type="button" className="btn" onClick={onCancel} pending={busy ?? false}>
          Go back
        </PendingButton>
        <PendingButton
          type="button"
          className={`btn ${danger ? 'btn--danger' : 'btn--primary'}`}
          onClick={onConfirm}
          pending={busy ?? false}
        >
          {busy ? 'Working…' : confirmLabel}
        </PendingButton>
      </div>
    </dialog>
  );
}
