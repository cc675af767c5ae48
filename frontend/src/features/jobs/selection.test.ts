import { describe, expect, it } from 'vitest';
import type { Job } from '../../api/types';
import { DEFAULT_JOB_FILTERS } from './filters';
import { actionRequest, canAct, NO_SELECTION, selectedCount, toggled } from './selection';

const job = (id: number, state: Job['state']) => ({ id, state, kind: 'assign_provider' }) as Job;
const shown = [job(1, 'dead'), job(2, 'retrying'), job(3, 'running')];

describe('selecting jobs', () => {
  it('send the ticked ids, in order, or the filters for every matching job', () => {
    expect(actionRequest(NO_SELECTION, DEFAULT_JOB_FILTERS)).toBeNull();
    const s = toggled(toggled(NO_SELECTION, 9, true), 4, true);
    expect(actionRequest(s, DEFAULT_JOB_FILTERS)).toEqual({ ids: [4, 9] });
    expect(actionRequest(toggled(s, 9, false), DEFAULT_JOB_FILTERS)).toEqual({ ids: [4] });
    expect(actionRequest({ kind: 'matching' }, { ...DEFAULT_JOB_FILTERS, q: 'timeout' })).toEqual({
      filter: { state: 'dead', q: 'timeout' },
    });
  });

  it('count every matching job, not only those shown', () => {
    expect(selectedCount({ kind: 'matching' }, 1234)).toBe(1234);
    expect(selectedCount(toggled(NO_SELECTION, 1, true), 1234)).toBe(1);
  });

  it('enable an action when a ticked job is in a state it changes', () => {
    const dead = toggled(NO_SELECTION, 1, true);
    expect(canAct('retry', dead, shown, DEFAULT_JOB_FILTERS, 3)).toBe(true);
    expect(canAct('cancel', dead, shown, DEFAULT_JOB_FILTERS, 3)).toBe(false);
    const running = toggled(NO_SELECTION, 3, true);
    for (const a of ['retry', 'cancel', 'run_now'] as const) expect(canAct(a, running, shown, DEFAULT_JOB_FILTERS, 3)).toBe(false);
    expect(canAct('retry', NO_SELECTION, shown, DEFAULT_JOB_FILTERS, 3)).toBe(false);
  });

  it('enable an action on every matching job unless the state filter rules it out, or nothing matches', () => {
    const all = { kind: 'matching' } as const;
    expect(canAct('retry', all, [], DEFAULT_JOB_FILTERS, 5)).toBe(true);
    expect(canAct('run_now', all, [], DEFAULT_JOB_FILTERS, 5)).toBe(false);
    expect(canAct('run_now', all, [], { ...DEFAULT_JOB_FILTERS, state: '' }, 5)).toBe(true);
    expect(canAct('retry', all, [], DEFAULT_JOB_FILTERS, 0)).toBe(false);
  });
});
