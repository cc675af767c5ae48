import { describe, expect, it, vi } from 'vitest';
import { json, mockApi } from '../test/render';
import { api, ApiError, buildUrl, errorMessage, newIdempotencyKey } from './client';

describe('the API client', () => {
  it('turns a 422 envelope into an ApiError carrying status, code, message and field errors', async () => {
    mockApi({
      'POST /api/v1/bookings': () =>
        json(422, {
          error: {
            code: 'validation_failed',
            message: 'some fields are invalid',
            details: { fields: { address: 'must not be empty', scheduled_date: 'must be in the future' } },
          },
        }),
    });
    const err = await api('/bookings', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(422);
    expect(e.code).toBe('validation_failed');
    expect(e.message).toBe('some fields are invalid');
    expect(e.fields).toEqual({ address: 'must not be empty', scheduled_date: 'must be in the future' });
    expect(errorMessage(e)).toBe('Some fields are invalid.');
  });

  it('keeps the details of a conflict and has no field errors for it', async () => {
    mockApi({
      'PATCH /api/v1/bookings/1/status': () =>
        json(409, {
          error: {
            code: 'invalid_transition',
            message: 'a booking cannot go from assigned to completed',
            details: { from: 'assigned', to: 'completed' },
          },
        }),
    });
    const e = (await api('/bookings/1/status', { method: 'PATCH', body: { status: 'completed' } }).catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(409);
    expect(e.code).toBe('invalid_transition');
    expect(e.details).toEqual({ from: 'assigned', to: 'completed' });
    expect(e.fields).toEqual({});
  });

  it('gives a sentence for an error body that is not the envelope', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502 })),
    );
    const e = (await api('/bookings').catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(502);
    expect(e.code).toBe('server_error');
    expect(e.message).toMatch(/server had a problem/);
  });

  it('reports an unreachable server as a network error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    const e = (await api('/auth/me').catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(0);
    expect(e.code).toBe('network_error');
  });

  it('sends JSON with the session cookie and returns the parsed body; 204 yields nothing', async () => {
    const { calls, fetchMock } = mockApi({
      'POST /api/v1/providers': () => json(201, { id: 9 }),
      'POST /api/v1/auth/logout': () => new Response(null, { status: 204 }),
    });
    await expect(api('/providers', { method: 'POST', body: { name: 'Gina' } })).resolves.toEqual({ id: 9 });
    await expect(api('/auth/logout', { method: 'POST' })).resolves.toBeUndefined();
    expect(calls[0].body).toEqual({ name: 'Gina' });
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(fetchMock.mock.calls[0][1]).toMatchObject({ credentials: 'same-origin' });
  });

  it('leaves empty query parameters out of the URL', () => {
    expect(buildUrl('/bookings', { status: '', q: 'leak', limit: 20, cursor: undefined })).toBe('/api/v1/bookings?q=leak&limit=20');
  });

  it('makes a different idempotency key each time', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(newIdempotencyKey()).not.toBe(a);
  });
});
