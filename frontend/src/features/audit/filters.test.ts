import { describe, expect, it } from 'vitest';
import { auditFiltersFromParams, auditFiltersToParams, NO_AUDIT_FILTERS, parseActorId } from './filters';

describe('the audit filters in the address', () => {
  it('come back the same from the address they were written to', () => {
    const f = { action: 'pause_queue', actor: '1', from: '2026-12-01', to: '2026-12-02' } as const;
    expect(auditFiltersToParams(f).toString()).toBe('action=pause_queue&actor=1&from=2026-12-01&to=2026-12-02');
    expect(auditFiltersFromParams(auditFiltersToParams(f))).toEqual(f);
    expect(auditFiltersToParams(NO_AUDIT_FILTERS).toString()).toBe('');
  });

  it('drop what is not a filter value', () => {
    expect(auditFiltersFromParams(new URLSearchParams('action=delete_everything&actor=me&from=today&to=2026-1-1'))).toEqual(
      NO_AUDIT_FILTERS,
    );
  });

  it('read a typed account number with or without its #', () => {
    expect(parseActorId('#12')).toBe('12');
    expect(parseActorId(' ')).toBe('');
    expect(parseActorId('twelve')).toBeNull();
  });
});
