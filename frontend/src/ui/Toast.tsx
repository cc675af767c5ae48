import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import './Toast.css';

interface Toast {
  id: number;
  message: string;
  tone: 'success' | 'info';
}

const ToastContext = createContext<(message: string, tone?: Toast['tone']) => void>(() => {});

/** Short confirmations ("Job #12 accepted", "New job #14") shown for a few seconds and read out. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const show = useCallback((message: string, tone: Toast['tone'] = 'success') => {
    const id = next.current++;
    setToasts((t) => [...t.slice(-2), { id, message, tone }]);
  }, []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onGone={() => setToasts((all) => all.filter((x) => x.id !== t.id))} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onGone }: { toast: Toast; onGone: () => void }) {
  useEffect(() => {
    const t = setTimeout(onGone, 6000);
    return () => clearTimeout(t);
  }, [onGone]);
  return (
    <div className={`toast toast--${toast.tone}`} data-testid="toast">
      <span>{toast.message}</span>
      <button type="button" className="toast__close" onClick={onGone} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
