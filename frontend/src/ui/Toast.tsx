import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import './Toast.css';

interface Toast {
  id: number;
  message: string;
  tone: 'success' | 'info';
  /** Stays until its close button is pressed (an operator's confirmation), instead of a few seconds. */
  stay: boolean;
}

type Show = (message: string, tone?: Toast['tone'], opts?: { stay?: boolean }) => void;
const ToastContext = createContext<Show>(() => {});

/**
 * Short confirmations ("Job #12 accepted", "New job #14") shown for a few seconds and read out;
 * with `stay`, until dismissed. At most three that go by themselves are shown at once.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const show = useCallback<Show>((message, tone = 'success', opts = {}) => {
    const id = next.current++;
    const stay = !!opts.stay;
    setToasts((all) => {
      const passing = all.filter((t) => !t.stay);
      const drop = new Set(passing.slice(0, Math.max(0, passing.length - (stay ? 3 : 2))).map((t) => t.id));
      return [...all.filter((t) => !drop.has(t.id)), { id, message, tone, stay }];
    });
  }, []);
  // Stable, so that a toast's timer runs from when it appeared, whatever shows meanwhile.
  const remove = useCallback((id: number) => setToasts((all) => all.filter((x) => x.id !== id)), []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      {/* Not atomic: a new toast is read alone, not with every one still showing. */}
      <div className="toasts" role="status" aria-live="polite" aria-atomic="false" aria-relevant="additions" data-testid="toasts">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onGone={remove} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onGone }: { toast: Toast; onGone: (id: number) => void }) {
  useEffect(() => {
    if (toast.stay) return;
    const t = setTimeout(() => onGone(toast.id), 6000);
    return () => clearTimeout(t);
  }, [onGone, toast.id, toast.stay]);
  return (
    <div className={`toast toast--${toast.tone}`} data-testid="toast" data-stay={toast.stay || undefined}>
      <span>{toast.message}</span>
      <button type="button" className="toast__close" onClick={() => onGone(toast.id)} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
