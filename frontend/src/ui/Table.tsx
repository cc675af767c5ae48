import type { ReactNode } from 'react';
import './Table.css';

/**
 * A wide table's sideways-scrolling box. It is a named region that takes focus, so that
 * keyboard users can scroll it with the arrow keys.
 */
export function TableScroll({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div className={`table-wrap${className ? ` ${className}` : ''}`} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
