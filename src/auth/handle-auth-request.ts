import { type Logger, withLogContext } from '../logger.js';
import { accountPseudonym } from './account-pseudonym.js';
import type { Auth } from './auth.js';
import { type AuthRequestContext, logAuthEvent } from './auth-policy.js';

const EMAIL_PATHS = /\/(sign-in|sign-up)\/email$/;

/**
 * Better Auth's handler with the request's id and client address in reach of every log line
 * it writes (its own and our policy's), and a log line for the per-address limit, which
 * answers before any hook runs.
 */
export async function handleAuthRequest(
  auth: Auth,
  request: Request,
  context: AuthRequestContext,
  logger: Logger,
): Promise<Response> {
  const copy =
    request.method === 'POST' && EMAIL_PATHS.test(new URL(request.url).pathname)
      ? request.clone()
      : undefined;
  const response = await withLogContext({ client_address: context.clientAddress }, () =>
    auth.handler(request),
  );
  // Ours (per account) carries Retry-After already; Better Auth's (per address) does not.
  if (response.status === 429 && !response.headers.has('retry-after')) {
    const email = copy ? await emailOf(copy) : undefined;
    logAuthEvent(
      logger,
      'rate_limited',
      {
        account: email ? accountPseudonym(auth.options.secret ?? '', email) : undefined,
        status: 429,
        reason: 'address',
        retry_after: Number(response.headers.get('x-retry-after')) || undefined,
      },
      context,
    );
  }
  return response;
}

async function emailOf(request: Request): Promise<string | undefined> {
  try {
    const type = request.headers.get('content-type') ?? '';
    const email = type.includes('application/x-www-form-urlencoded')
      ? new URLSearchParams(await request.text()).get('email')
      : ((await request.json()) as { email?: unknown }).email;
    return typeof email === 'string' ? email : undefined;
  } catch {
    return undefined;
  }
}
