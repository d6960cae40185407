import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** The client's address: the socket's, or with TRUST_PROXY the one our proxy appended. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The address our proxy appended is the last one; earlier ones are the client's say-so.
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
