import { useMemo, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import uPlot from 'uplot';
import type { Analytics, BookingStatus, BucketName, ProviderFigures } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { TableScroll } from '../../ui/Table';
import { useShowStateAgain } from '../../ui/controlled';
import { useMediaQuery } from '../../ui/useMediaQuery';
import { dateKeyIn, shiftDateKey } from '../../ui/time';
import { statusLabel } from '../bookings';
import { useServiceLabel, useServiceTypes } from '../providers';
import { csvUrl, useAnalytics, type AnalyticsQuery } from './api';
import { Chart } from './Chart';
import {
  dayLabel,
  demandByService,
  duration,
  heatmap,
  percent,
  sortProviders,
  stackByStatus,
  WEEKDAY_NAMES,
  fromZero,
  type ProviderColumn,
} from './shape';
import './Dashboard.css';

/** Each status's colour in the stacked chart; the legend and the table name them too. */
const STATUS_COLOUR: Record<BookingStatus, string> = {
  pending: '#8da2c0',
  assigned: '#e0a100',
  accepted: '#2a9d8f',
  in_progress: '#2456d3',
  completed: '#16794a',
  cancelled: '#6b7280',
  rejected: '#c2362b',
  no_show: '#8e44ad',
};

const PRESETS = [7, 30, 90] as const;

/** Bars 70% of a bucket wide, at most 64 px. */
const barPaths = uPlot.paths.bars!({ size: [0.7, 64] });

/**
 * The range, the bucket and the service, from the address. A range not in the address is
 * the API's default (the last 30 days of the service area's calendar), shown once it answers.
 */
function useAnalyticsQuery(): [AnalyticsQuery, (next: AnalyticsQuery) => void] {
  const [params, setParams] = useSearchParams();
  const q: AnalyticsQuery = {
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    bucket: params.get('bucket') === 'week' ? 'week' : 'day',
    service: params.get('service') ?? '',
  };
  const set = (next: AnalyticsQuery) => {
    const out: Record<string, string> = {};
    if (next.from) out.from = next.from;
    if (next.to) out.to = next.to;
    if (next.bucket !== 'day') out.bucket = next.bucket;
    if (next.service) out.service = next.service;
    setParams(out, { replace: true });
  };
  return [q, set];
}

/**
 * The admin's dashboard: bookings over time by status, how long they wait to be assigned
 * and accepted, the range's rates, demand by weekday and hour, and each provider's part.
 * The range, bucket and service are kept in the address; the figures follow booking events.
 */
export function Dashboard() {
  const [q, setQuery] = useAnalyticsQuery();
  const figures = useAnalytics(q);
  const types = useServiceTypes();
  const data = figures.data;
  // What is on screen: the address's range, or the one the API chose.
  const shown: AnalyticsQuery = { ...q, from: q.from || data?.from || '', to: q.to || data?.to || '' };
  const change = (next: Partial<AnalyticsQuery>) => setQuery({ ...shown, ...next });
  // A date emptied (a part of it deleted) is not applied: the field shows the range again.
  const showStateAgain = useShowStateAgain();
  // "Today" on the service area's clock, which the days are counted by.
  const today = dateKeyIn(new Date().toISOString(), data?.time_zone ?? 'UTC');

  return (
    <>
      <form className="card filters analytics-filters" role="search" aria-label="Range" onSubmit={(e) => e.preventDefault()}>
        <TextField
          id="analytics-from"
          label="From"
          type="date"
          value={shown.from}
          max={shown.to || undefined}
          required
          onChange={(e) => (e.target.value ? change({ from: e.target.value }) : showStateAgain())}
        />
        <TextField
          id="analytics-to"
          label="To"
          type="date"
          value={shown.to}
          min={shown.from || undefined}
          required
          onChange={(e) => (e.target.value ? change({ to: e.target.value }) : showStateAgain())}
        />
        <SelectField id="analytics-bucket" label="Per" value={q.bucket} onChange={(e) => change({ bucket: e.target.value as BucketName })}>
          <option value="day">Day</option>
          <option value="week">Week</option>
        </SelectField>
        <SelectField id="analytics-service" label="Service" value={q.service} onChange={(e) => change({ service: e.target.value })}>
          <option value="">All services</option>
          {types.data?.map((t) => (
            <option key={t.name} value={t.name}>
              {t.label}
            </option>
          ))}
        </SelectField>
        <div className="analytics-presets" role="group" aria-label="Quick ranges">
          {PRESETS.map((days) => (
            <button key={days} type="button" className="btn" onClick={() => change({ to: today, from: shiftDateKey(today, 1 - days) })}>
              Last {days} days
            </button>
          ))}
        </div>
      </form>
      {figures.error && <ErrorAlert error={figures.error} />}
      {!data && figures.isPending && <Loading label="Counting…" />}
      {data && (
        <div className={`analytics${figures.isPlaceholderData ? ' analytics--stale' : ''}`} aria-busy={figures.isFetching}>
          <Rates data={data} />
          <Section
            title="Bookings by status"
            csv={csvUrl(shown, 'buckets')}
            csvName={`Download the ${data.bucket === 'week' ? 'weeks' : 'days'} as CSV`}
          >
            <VolumeChart data={data} />
          </Section>
          <Section title="Time to assign and to accept">
            <WaitChart data={data} />
          </Section>
          <Section title="Demand by weekday and hour" note={`Bookings created, by weekday and hour in ${data.time_zone}.`}>
            <Demand data={data} />
          </Section>
          <Section title="Providers" csv={csvUrl(shown, 'providers')} csvName="Download the providers as CSV">
            <Providers rows={data.providers} />
          </Section>
        </div>
      )}
    </>
  );
}

function Section({
  title,
  note,
  csv,
  csvName,
  children,
}: {
  title: string;
  note?: string;
  csv?: string;
  csvName?: string;
  children: ReactNode;
}) {
  const id = `analytics-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <section className="card analytics-section" aria-labelledby={id}>
      <div className="analytics-section__head">
        <h2 id={id}>{title}</h2>
        {csv && (
          <a className="btn" href={csv} download>
            {csvName}
          </a>
        )}
      </div>
      {note && <p className="muted">{note}</p>}
      {children}
    </section>
  );
}

/** Bookings that wait for an operator: their assignment is dead, or was cancelled. */
const WAITING = 'Waiting for an operator';

function Rates({ data }: { data: Analytics }) {
  const r = data.rates;
  const items: [string, string, string][] = [
    ['Bookings created', String(r.created), ''],
    ['Accepted', percent(r.acceptance), `${r.accepted} of ${r.offers} offers`],
    ['Rejected', percent(r.rejection), `${r.rejected} of ${r.offers} offers`],
    ['Expired', percent(r.expiry), `${r.expired} of ${r.offers} offers`],
    ['No-shows', percent(r.no_show), `${r.no_shows} of ${r.accepted} accepted`],
    ['Cancelled', percent(r.cancellation), `${r.cancelled} of ${r.created} bookings`],
    [WAITING, String(r.dead), 'no provider found, or the search cancelled'],
  ];
  return (
    <dl className="analytics-rates" aria-label="The range's rates">
      {items.map(([label, value, of]) => (
        <div key={label} className={`card analytics-rate${label === WAITING && r.dead > 0 ? ' analytics-rate--alert' : ''}`}>
          <dt>{label}</dt>
          <dd>
            <span className="analytics-rate__value">{value}</span>
            {of && <span className="analytics-rate__of">{of}</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Room for one day's label on the x axis ("Wed, Nov 18" and a gap), in CSS pixels. */
const LABEL_PX = 110;

/**
 * x: the buckets' positions, labelled with their first day; a label per {@link LABEL_PX}
 * of the plot's own width at most (not the chart's: the y axis takes a part of it, and on a
 * phone the labels ran into each other).
 */
function bucketAxis(starts: string[]): uPlot.Axis {
  return {
    splits: (u) => {
      const plot = u.bbox.width > 0 ? u.bbox.width / uPlot.pxRatio : u.width;
      const every = Math.max(1, Math.ceil(starts.length / Math.max(1, Math.floor(plot / LABEL_PX))));
      return starts.map((_, i) => i).filter((i) => i % every === 0);
    },
    values: (_u, splits) => splits.map((i) => (starts[i] ? dayLabel(starts[i]) : '')),
  };
}

/** The legend's first entry: the day (or the week's first day) under the cursor. */
function bucketSeries(starts: string[]): uPlot.Series {
  return { label: 'Starting', value: (_u, i) => (i === null || !starts[i] ? '—' : dayLabel(starts[i])) };
}

/** A y scale from zero (see `fromZero`). */
const FROM_ZERO: uPlot.Scale = { range: (_u, _min, max) => fromZero(max) };

/** The stacked bars: `drawn` tallest stack first, so each lower one is painted over it. */
function volumeOptions(drawn: BookingStatus[], starts: string[]): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    scales: { x: { time: false, range: [-0.5, Math.max(starts.length - 0.5, 0.5)] }, y: FROM_ZERO },
    // Whole bookings on the y axis.
    axes: [
      bucketAxis(starts),
      { label: 'bookings', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] },
    ],
    series: [
      bucketSeries(starts),
      ...drawn.map((status) => ({
        label: statusLabel(status),
        stroke: STATUS_COLOUR[status],
        fill: STATUS_COLOUR[status],
        // The legend shows this status's own count: its stack less the one below it.
        value: (u: uPlot, v: number | null, si: number, i: number | null) =>
          i === null ? '—' : String((v ?? 0) - Number(u.data[si + 1]?.[i] ?? 0)),
        paths: barPaths,
        points: { show: false },
      })),
    ],
    cursor: { points: { show: false } },
  };
}

function VolumeChart({ data }: { data: Analytics }) {
  const stacked = useMemo(() => stackByStatus(data.buckets), [data.buckets]);
  const drawn = useMemo(() => [...stacked].reverse(), [stacked]);
  const starts = useMemo(() => data.buckets.map((b) => b.start), [data.buckets]);
  // New options (a new chart) only when the statuses shown or the buckets change.
  const statusKey = drawn.map((s) => s.status).join(',');
  const startKey = starts.join(',');
  const options = useMemo(() => volumeOptions(statusKey.split(',') as BookingStatus[], startKey.split(',')), [statusKey, startKey]);
  const plotted = useMemo<uPlot.AlignedData>(() => [starts.map((_, i) => i), ...drawn.map((s) => s.top)], [starts, drawn]);
  if (data.rates.created === 0) return <p className="muted">No bookings were created in this range.</p>;
  return (
    <>
      <Chart options={options} data={plotted} label="Bookings created per bucket, stacked by status; the table below has the figures" />
      <details className="analytics-table">
        <summary>Show as a table</summary>
        <TableScroll label="Bookings by status, as a table">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{data.bucket === 'week' ? 'Week from' : 'Day'}</th>
                <th scope="col">Created</th>
                {stacked.map((s) => (
                  <th scope="col" key={s.status}>
                    {statusLabel(s.status)}
                  </th>
                ))}
                <th scope="col">{WAITING}</th>
              </tr>
            </thead>
            <tbody>
              {data.buckets.map((b, i) => (
                <tr key={b.start}>
                  <th scope="row">{dayLabel(b.start)}</th>
                  <td>{b.created}</td>
                  {stacked.map((s) => (
                    <td key={s.status}>{s.counts[i]}</td>
                  ))}
                  <td>{b.dead}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </>
  );
}

const WAIT_SERIES: {
  label: string;
  key: 'assign_p50_ms' | 'assign_p90_ms' | 'accept_p50_ms' | 'accept_p90_ms';
  colour: string;
  dash?: number[];
}[] = [
  { label: 'To assign, p50', key: 'assign_p50_ms', colour: '#2456d3' },
  { label: 'To assign, p90', key: 'assign_p90_ms', colour: '#2456d3', dash: [6, 4] },
  { label: 'To accept, p50', key: 'accept_p50_ms', colour: '#16794a' },
  { label: 'To accept, p90', key: 'accept_p90_ms', colour: '#16794a', dash: [6, 4] },
];

function waitOptions(starts: string[]): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    scales: { x: { time: false, range: [-0.5, Math.max(starts.length - 0.5, 0.5)] }, y: FROM_ZERO },
    axes: [bucketAxis(starts), { label: 'wait', size: 70, values: (_u, splits) => splits.map((v) => duration(v)) }],
    series: [
      bucketSeries(starts),
      ...WAIT_SERIES.map((s) => ({
        label: s.label,
        stroke: s.colour,
        width: 2,
        dash: s.dash,
        value: (_u: uPlot, v: number | null) => duration(v),
        points: { show: true, size: 5 },
      })),
    ],
  };
}

/** p50 solid, p90 dashed; assignment blue, acceptance green; a gap where nothing was. */
function WaitChart({ data }: { data: Analytics }) {
  const starts = useMemo(() => data.buckets.map((b) => b.start), [data.buckets]);
  const startKey = starts.join(',');
  const options = useMemo(() => waitOptions(startKey.split(',')), [startKey]);
  const plotted = useMemo<uPlot.AlignedData>(
    () => [starts.map((_, i) => i), ...WAIT_SERIES.map((s) => data.buckets.map((b) => b[s.key]))],
    [starts, data.buckets],
  );
  if (!data.buckets.some((b) => b.assign_p50_ms !== null)) return <p className="muted">No booking created in this range was assigned.</p>;
  return (
    <>
      <Chart
        options={options}
        data={plotted}
        label="Time from booking to assignment and to acceptance, p50 and p90 per bucket; the table below has the figures"
      />
      <details className="analytics-table">
        <summary>Show as a table</summary>
        <TableScroll label="Time to assign and to accept, as a table">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{data.bucket === 'week' ? 'Week from' : 'Day'}</th>
                {WAIT_SERIES.map((s) => (
                  <th scope="col" key={s.key}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.buckets.map((b) => (
                <tr key={b.start}>
                  <th scope="row">{dayLabel(b.start)}</th>
                  {WAIT_SERIES.map((s) => (
                    <td key={s.key}>{duration(b[s.key])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </>
  );
}

/** Weekday by hour: each cell's count written in it, shaded in five steps by how busy it
 * is. On a narrow screen the hours run down the side instead of across, so the week fits
 * without scrolling. */
function Demand({ data }: { data: Analytics }) {
  const serviceLabel = useServiceLabel();
  const narrow = useMediaQuery('(max-width: 48rem)');
  const { cells, max } = useMemo(() => heatmap(data.demand), [data.demand]);
  const services = useMemo(() => demandByService(data.demand), [data.demand]);
  if (max === 0) return <p className="muted">No bookings were created in this range.</p>;
  const level = (n: number) => (n === 0 ? 0 : Math.min(5, Math.ceil((n / max) * 5)));
  const hour = (h: number) => String(h).padStart(2, '0');
  const cell = (d: number, h: number) => {
    const n = cells[d][h];
    return (
      <td key={narrow ? d : h} className={`heat heat--${level(n)}`} title={`${WEEKDAY_NAMES[d]} ${hour(h)}:00: ${n} bookings`}>
        {n > 0 ? n : ''}
      </td>
    );
  };
  const hours = cells[0].map((_, h) => h);
  const days = cells.map((_, d) => d);
  return (
    <div className="analytics-demand">
      <TableScroll label="Bookings by weekday and hour">
        <table className="heatmap">
          <thead>
            <tr>
              <td />
              {narrow
                ? days.map((d) => (
                    <th scope="col" key={d}>
                      {WEEKDAY_NAMES[d]}
                    </th>
                  ))
                : hours.map((h) => (
                    <th scope="col" key={h}>
                      {hour(h)}
                    </th>
                  ))}
            </tr>
          </thead>
          <tbody>
            {narrow
              ? hours.map((h) => (
                  <tr key={h}>
                    <th scope="row">{hour(h)}</th>
                    {days.map((d) => cell(d, h))}
                  </tr>
                ))
              : days.map((d) => (
                  <tr key={WEEKDAY_NAMES[d]}>
                    <th scope="row">{WEEKDAY_NAMES[d]}</th>
                    {hours.map((h) => cell(d, h))}
                  </tr>
                ))}
          </tbody>
        </table>
      </TableScroll>
      <table className="table analytics-services">
        <caption>By service</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Bookings</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.service}>
              <th scope="row">{serviceLabel(s.service)}</th>
              <td>{s.created}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const PROVIDER_COLUMNS: { key: ProviderColumn; label: string }[] = [
  { key: 'name', label: 'Provider' },
  { key: 'offers', label: 'Offers' },
  { key: 'accepts', label: 'Accepted' },
  { key: 'rejects', label: 'Rejected' },
  { key: 'expiries', label: 'Expired' },
  { key: 'no_shows', label: 'No-shows' },
  { key: 'completed', label: 'Completed' },
  { key: 'rating_mean', label: 'Rating' },
];

/** Sortable by any column (click its heading); a bar shows each one's offers against the most. */
function Providers({ rows }: { rows: ProviderFigures[] }) {
  const [sort, setSort] = useState<{ by: ProviderColumn; descending: boolean }>({ by: 'offers', descending: true });
  const sorted = useMemo(() => sortProviders(rows, sort.by, sort.descending), [rows, sort]);
  if (rows.length === 0) return <p className="muted">No provider had an offer or a booking in this range.</p>;
  const most = Math.max(1, ...rows.map((r) => r.offers));
  return (
    <TableScroll label="Providers, as a table">
      <table className="table analytics-providers">
        <thead>
          <tr>
            {PROVIDER_COLUMNS.map((c) => {
              const active = sort.by === c.key;
              return (
                <th scope="col" key={c.key} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button
                    type="button"
                    className="sort"
                    onClick={() => setSort({ by: c.key, descending: active ? !sort.descending : c.key !== 'name' })}
                  >
                    {c.label}
                    <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((p) => (
            <tr key={p.provider_id}>
              <th scope="row">{p.name}</th>
              <td>
                <span className="bar-cell">
                  <span className="bar" style={{ width: `${(p.offers / most) * 100}%` }} />
                  <span className="bar-cell__n">{p.offers}</span>
                </span>
              </td>
              <td>{p.accepts}</td>
              <td>{p.rejects}</td>
              <td>{p.expiries}</td>
              <td>{p.no_shows}</td>
              <td>{p.completed}</td>
              <td>{p.rating_mean === null ? 'no reviews' : `${p.rating_mean.toFixed(1)} ★ (${p.rating_count})`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
