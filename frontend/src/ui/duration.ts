/**
 * Spans and countdowns, for the admin's pages: a module of its own so that the first load
 * (which imports time.ts) does not carry them.
 */

/** A span in milliseconds, in the unit that reads best: "850 ms", "4.2 s", "12 min", "3.5 h"; a dash for none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const min = s / 60;
  if (min < 60) return `${min < 10 ? min.toFixed(1) : Math.round(min)} min`;
  const h = min / 60;
  return `${h < 10 ? h.toFixed(1) : Math.round(h)} h`;
}

/**
 * How long until `iso`, counted down to the second: "in 4 s", "in 2 min 05 s", "in 3 h 07 min",
 * "in 2 d 4 h"; "due now" once it has come.
 */
export function formatCountdown(iso: string, now: number): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const left = Math.ceil((t - now) / 1000);
  if (left <= 0) return 'due now';
  const pad = (n: number) => String(n).padStart(2, '0');
  if (left < 60) return `in ${left} s`;
  if (left < 3600) return `in ${Math.floor(left / 60)} min ${pad(left % 60)} s`;
  if (left < 86400) return `in ${Math.floor(left / 3600)} h ${pad(Math.floor((left % 3600) / 60))} min`;
  return `in ${Math.floor(left / 86400)} d ${Math.floor((left % 86400) / 3600)} h`;
}
