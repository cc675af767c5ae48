/** The audit log of operator actions (job actions, pauses, manual assignments, overrides, providers, reviews, accounts). */
export { AuditLog } from './AuditLog';
