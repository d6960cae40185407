import { afterEach, describe, expect, it, vi } from 'vitest';

// The web app sends an Idempotency-Key with every create, so sending a create again after
// its answer was cut off returns the first task instead of making a second one.

// The web app builds under its own tsconfig (DOM, bundler resolution): loaded by path here,
// so the server's type check does not follow it.
const webClient = '../../web/src/api/client.ts';
type CreateTask = (input: { title: string }, idempotencyKey?: string) => Promise<unknown>;
const { createTask } = (await import(/* @vite-ignore */ webClient)) as { createTask: CreateTask };

describe('web client: creating a task', () => {
  const sent: Headers[] = [];

  afterEach(() => {
    vi.unstubAllGlobals();
    sent.length = 0;
  });

  function stubFetch() {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_path: string, init: RequestInit) => {
        sent.push(new Headers(init.headers));
        return new Response(JSON.stringify({ id: 1, title: 'Buy milk' }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        });
      }),
    );
  }

  it('sends a fresh Idempotency-Key with every create', async () => {
    stubFetch();
    await createTask({ title: 'Buy milk' });
    await createTask({ title: 'Buy milk' });
    const keys = sent.map((headers) => headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('sends the key it is given, so a retry repeats it', async () => {
    stubFetch();
    await createTask({ title: 'Buy milk' }, 'key-of-the-first-attempt');
    expect(sent[0]?.get('idempotency-key')).toBe('key-of-the-first-attempt');
  });
});
