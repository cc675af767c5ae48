/**
 * The one API client. Every request goes through `api()`: it sends JSON, carries the
 * session cookie (same origin), and turns the API's error envelope
 * `{"error": {"code", "message", "details"}}` into a typed `ApiError`.
 */

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Per-field messages of a validation error (422 `details.fields`), empty otherwise. */
  get fields(): FieldErrors {
    const fields = this.details.fields;
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
      const out: FieldErrors = {};
      for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
        if (typeof v === 'string') out[k] = v;
      }
      return out;
    }
    return {};
  }
}

export const API_PREFIX = '/api/v1';

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
  }
  const qs = params.toString();
  return `${API_PREFIX}${path}${qs ? `?${qs}` : ''}`;
}

const GENERIC_MESSAGES: Record<number, string> = {
  401: 'You are not signed in.',
  403: 'You are not allowed to do that.',
  404: 'That was not found.',
  408: 'The server took too long to answer. Try again.',
  413: 'What you sent is too large.',
  429: 'Too many attempts. Wait a moment and try again.',
  503: 'The service is busy right now. Try again in a moment.',
};

/** Reads an error response; a body that is not our envelope still yields an ApiError. */
async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy's HTML error page, an empty body): fall through to a generic error
  }
  const env = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (env && typeof env.code === 'string') {
    const message =
      typeof env.message === 'string' && env.message ? env.message : (GENERIC_MESSAGES[res.status] ?? 'Something went wrong.');
    const details = env.details && typeof env.details === 'object' ? (env.details as Record<string, unknown>) : {};
    return new ApiError(res.status, env.code, message, details);
  }
  const fallback =
    GENERIC_MESSAGES[res.status] ??
    (res.status >= 500 ? 'The server had a problem. Try again in a moment.' : `The request failed (HTTP ${res.status}).`);
  return new ApiError(res.status, res.status >= 500 ? 'server_error' : 'http_error', fallback);
}

/**
 * Answers that mean "your session ended" are not about the request: a signed-in page
 * learns of them here at once (and asks for the password again in place), whichever
 * request got the 401. Signing in, and asking who is signed in, answer 401 as a result.
 */
const SESSION_PATHS = new Set(['/auth/login', '/auth/me', '/auth/logout', '/auth/register', '/auth/reset']);
let sessionEnded: (() => void) | undefined;

/** Sets what to do when a request answers 401 (the session ended); returns the undo. */
export function onSessionEnded(listener: () => void): () => void {
  sessionEnded = listener;
  return () => {
    if (sessionEnded === listener) sessionEnded = undefined;
  };
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method: opts.method ?? 'GET',
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!res.ok) {
    if (res.status === 401 && !SESSION_PATHS.has(path)) sessionEnded?.();
    throw await toApiError(res);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A human sentence from an API message: capitalised, ending with a full stop. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** A sentence for any error thrown by a query or mutation. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return sentence(err.message);
  if (err instanceof Error && err.message) return sentence(err.message);
  return 'Something went wrong.';
}

/** A fresh idempotency key; randomUUID needs a secure context, so fall back to getRandomValues. */
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
