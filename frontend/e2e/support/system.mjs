// Starts the real system for the end-to-end tests: the API (serving the built frontend)
// and two workers on a fresh database, a SQLite file in a temp dir, or with
// TEST_BACKEND=postgres a new database on the test server (TEST_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432), dropped afterwards; stops them all afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FRONTEND_DIR = path.resolve(here, '..', '..');
const REPO_DIR = path.resolve(FRONTEND_DIR, '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs one SQL statement on the test server's `postgres` database with psql. */
function psql(server, sql) {
  const run = spawnSync('psql', [`${server}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`psql ${sql}: ${run.error ?? run.stderr}`);
}

/** A fresh database for this run: { url, drop }. */
function freshDatabase(dir) {
  const backend = process.env.TEST_BACKEND ?? 'sqlite';
  if (backend === 'sqlite') return { url: `sqlite://${path.join(dir, 'e2e.db')}`, drop: () => {} };
  if (backend !== 'postgres') throw new Error(`TEST_BACKEND must be sqlite or postgres, not ${backend}`);
  const server = (process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/$/, '');
  const name = `booking_e2e_${process.pid}_${Date.now()}`;
  psql(server, `CREATE DATABASE ${name}`);
  return { url: `${server}/${name}`, drop: () => psql(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Starts the API and two workers; `env` adds to (or overrides) their environment. */
export async function startSystem(overrides = {}) {
  const apiBin = path.resolve(FRONTEND_DIR, process.env.API_BIN ?? '../target/debug/api');
  const workerBin = path.resolve(FRONTEND_DIR, process.env.WORKER_BIN ?? '../target/debug/worker');
  const distDir = path.join(FRONTEND_DIR, 'dist');
  for (const [what, p] of [
    ['API binary (API_BIN)', apiBin],
    ['worker binary (WORKER_BIN)', workerBin],
    ['frontend build (npm run build)', path.join(distDir, 'index.html')],
  ]) {
    if (!existsSync(p)) throw new Error(`${what} not found at ${p}`);
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'frontend-e2e-'));
  const database = freshDatabase(dir);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    BIND_ADDR: `127.0.0.1:${port}`,
    FRONTEND_DIR: distDir,
    ASSIGN_BACKOFF_BASE_MS: '300',
    WORKER_POLL_MS: '20',
    SEED_DEMO: 'true',
    RUST_LOG: process.env.RUST_LOG ?? 'info',
    ...overrides,
  };

  // One entry per process: { name, bin, log, child }. `restartApi` replaces the API's child
  // in its entry (appending to the same log), so `stop` and `logs` always see the current one.
  const children = [];
  const launch = (entry) => {
    const out = createWriteStream(entry.log, { flags: 'a' });
    const child = spawn(entry.bin, [], { env, cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    child.logClosed = new Promise((r) => out.once('close', r));
    entry.child = child;
    return child;
  };
  const start = (name, bin) => {
    const entry = { name, bin, log: path.join(dir, `${name}.log`) };
    children.push(entry);
    launch(entry);
    return entry;
  };

  /** SIGTERM, then SIGKILL after 5 s; resolves to { code, signal, killed } once it has exited. */
  const stopChild = async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return { ...(await child.exited), killed: false };
    child.kill('SIGTERM');
    const done = await Promise.race([child.exited, sleep(5000).then(() => null)]);
    if (done) return { ...done, killed: false };
    child.kill('SIGKILL');
    return { ...(await child.exited), killed: true };
  };
  const stop = async () => {
    await Promise.all(children.map(({ child }) => stopChild(child)));
    database.drop();
  };
  // Last resort if the runner dies between start and stop.
  process.once('exit', () => children.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')));

  const waitReady = async (entry) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (entry.child.exitCode !== null) throw new Error(`the API exited early:\n${tail(entry.log)}`);
      try {
        const res = await fetch(`${baseUrl}/readyz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the API was not ready within 60 s:\n${tail(entry.log)}`);
      await sleep(50);
    }
  };

  let api;
  try {
    api = start('api', apiBin);
    await waitReady(api);
    const index = await (await fetch(`${baseUrl}/`)).text();
    if (!index.includes('<div id="root">')) throw new Error(`the API does not serve the frontend at / (FRONTEND_DIR=${distDir})`);
    start('worker-1', workerBin);
    start('worker-2', workerBin);
  } catch (e) {
    await stop();
    throw e;
  }

  /**
   * Stops the API with SIGTERM (waiting for it to exit), starts it again with the same
   * environment on the same port and waits for /readyz; the workers keep running.
   * `whileDown`, if given, runs after the old process has exited and before the new one starts.
   * Resolves to how the old process ended and how long the API was away.
   */
  const restartApi = async ({ whileDown } = {}) => {
    const t0 = Date.now();
    const old = api.child;
    const exit = await stopChild(old);
    const stoppedMs = Date.now() - t0;
    await Promise.race([old.logClosed, sleep(1000)]);
    try {
      if (whileDown) await whileDown();
    } finally {
      // Back up even if `whileDown` failed, so that the system stays whole.
      launch(api);
      await waitReady(api);
    }
    return { exit, stoppedMs, downMs: Date.now() - t0 };
  };

  return {
    baseUrl,
    dir,
    stop,
    restartApi,
    logs: () => children.map(({ name, log }) => `--- ${name} ---\n${tail(log, 20)}`).join('\n'),
  };
}

/** A tiny API client for test setup (bearer token), separate from the browser's session. */
export function apiClient(baseUrl) {
  const call = async (method, p, { token, body, headers } = {}) => {
    const res = await fetch(`${baseUrl}/api/v1${p}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new Error(`${method} ${p} -> ${res.status} ${text}`);
    return json;
  };
  return {
    login: async (email, password = 'demo1234') => (await call('POST', '/auth/login', { body: { email, password } })).token,
    get: (p, token) => call('GET', p, { token }),
    post: (p, token, body, headers) => call('POST', p, { token, body, headers }),
    patch: (p, token, body) => call('PATCH', p, { token, body }),
  };
}

/**
 * A bookable start `days` from today at `hour`:`minute` UTC (the service area's zone in these
 * tests): on the 30-minute grid, past the lead time. Give each booking of a test its own,
 * so that a provider's earlier jobs do not overlap it.
 */
export function slotStart(days, hour, minute = 0) {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days, hour, minute)).toISOString();
}

/**
 * Waits until the booking is offered to the provider signed in with `token`, then has them
 * reject it: a failed attempt, and that provider is not asked again for this booking.
 */
export async function rejectWhenOffered(api, token, bookingId, reason = 'Fully booked that day') {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const b = await api.get(`/bookings/${bookingId}`, token).catch(() => null);
    if (b?.status === 'assigned' && b.allowed_transitions.includes('rejected')) {
      await api.patch(`/bookings/${bookingId}/status`, token, { status: 'rejected', reason, expected_version: b.version });
      return;
    }
    if (Date.now() > deadline) throw new Error(`booking #${bookingId} was not offered to this provider within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
