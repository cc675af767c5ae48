import { describe, expect, it } from 'vitest';
import type { ActionReport } from '../../api/types';
import type { JobState } from '../../api/types';
import { actionApplies, kindLabel, moreSkipped, reportHeadline } from './words';

const report = (changed: number, skipped: [number, string][] = [], skipped_count = skipped.length): ActionReport => ({
  changed,
  skipped: skipped.map(([id, reason]) => ({ id, reason })),
  skipped_count,
});

describe('jobs in words', () => {
  it('name what a job does in plain words', () => {
    expect(kindLabel('assign_provider')).toBe('find a provider');
    expect(kindLabel('expire_offer')).toBe('expire an offer');
    expect(kindLabel('send_reminder')).toBe('send reminder');
  });

  it('name the one job an action on one id changed', () => {
    expect(reportHeadline('retry', { ids: [12] }, report(1))).toBe('Retried job #12');
    expect(reportHeadline('cancel', { ids: [3] }, report(1))).toBe('Cancelled job #3');
    expect(reportHeadline('run_now', { ids: [4] }, report(1))).toBe('Made job #4 due now');
  });

  it('count the jobs changed otherwise, one or many', () => {
    expect(reportHeadline('retry', { ids: [1, 2, 3] }, report(3))).toBe('Retried 3 jobs');
    expect(reportHeadline('cancel', { filter: { state: 'retrying' } }, report(1))).toBe('Cancelled 1 job');
    expect(reportHeadline('run_now', { filter: {} }, report(2))).toBe('Made 2 jobs due now');
    expect(reportHeadline('retry', { filter: {} }, report(12345))).toBe(`Retried ${(12345).toLocaleString()} jobs`);
    // One job changed of several named: a count, not a name.
    expect(reportHeadline('retry', { ids: [1, 2] }, report(1, [[2, 'the job is done']]))).toBe('Retried 1 job');
  });

  it('say so when nothing changed', () => {
    expect(reportHeadline('retry', { ids: [5] }, report(0, [[5, 'the job is running']]))).toBe('No job was retried.');
    expect(reportHeadline('cancel', { all_dead: true }, report(0))).toBe('No job was cancelled.');
    expect(reportHeadline('run_now', { filter: {} }, report(0))).toBe('No job was made due now.');
  });

  it('count the skipped jobs the API did not list', () => {
    expect(moreSkipped(report(0, [[1, 'x']], 1))).toBeNull();
    expect(
      moreSkipped(
        report(
          0,
          [
            [1, 'x'],
            [2, 'y'],
          ],
          1502,
        ),
      ),
    ).toBe(`and ${(1500).toLocaleString()} more skipped`);
  });

  it('offer each action for the states it changes, never for a running job', () => {
    const assign = (state: JobState) => ({ state, kind: 'assign_provider' });
    expect(actionApplies('retry', assign('dead'))).toBe(true);
    expect(actionApplies('retry', assign('cancelled'))).toBe(true);
    expect(actionApplies('retry', assign('scheduled'))).toBe(false);
    expect(actionApplies('cancel', assign('retrying'))).toBe(true);
    expect(actionApplies('run_now', assign('scheduled'))).toBe(true);
    expect(actionApplies('run_now', assign('dead'))).toBe(false);
    for (const a of ['retry', 'cancel', 'run_now'] as const) {
      expect(actionApplies(a, assign('running'))).toBe(false);
      expect(actionApplies(a, assign('done'))).toBe(false);
    }
  });

  it("offer an offer's expiry nothing but running again after a failed run", () => {
    const expiry = (state: JobState) => ({ state, kind: 'expire_offer' });
    expect(actionApplies('run_now', expiry('scheduled'))).toBe(false);
    expect(actionApplies('run_now', expiry('retrying'))).toBe(true);
    expect(actionApplies('cancel', expiry('scheduled'))).toBe(false);
    expect(actionApplies('retry', expiry('dead'))).toBe(false);
  });
});
