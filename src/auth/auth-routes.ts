import type { Context, Hono } from 'hono';
import type { Config } from '../config.js';
import { asAppError } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import { type Logger, withLogContext } from '../logger.js';
import { type Auth, CLIENT_IP_HEADER, pseudonymOf } from './auth.js';
import { type AuthRequestContext, logAuthEvent } from './auth-policy.js';
import { clientAddress } from './client-address.js';

const EMAIL_PATHS = /\/(sign-in|sign-up)\/email$/;

export interface AuthRoutesDeps {
  auth: Auth;
  config: Config;
  logger: Logger;
}

/**
 * /api/auth/* is Better Auth's, answered in its own JSON shape ({code, message}), which its
 * client library expects. We add the client address it rate-limits by, X-Request-Id,
 * Retry-After on its 429s, and 503 when its database is down.
 */
export function registerAuthRoutes(app: Hono<AppEnv>, { auth, config, logger }: AuthRoutesDeps) {
  app.on(['GET', 'POST'], '/api/auth/*', async (c) => {
    const request = c.req.raw;
    const context = {
      requestId: c.get('requestId'),
      clientAddress: clientAddress(c, config.TRUST_PROXY),
    };
    request.headers.set(CLIENT_IP_HEADER, context.clientAddress);
    let response: Response;
    try {
      response = await handleAuthRequest(auth, request, context, logger);
    } catch (error) {
      return failedAuthResponse(c, error, logger);
    }
    // Better Auth's responses may have immutable headers: copy them to add ours.
    const headers = new Headers(response.headers);
    headers.set('X-Request-Id', context.requestId);
    if (response.status === 429 && !headers.has('Retry-After')) {
      headers.set(
        'Retry-After',
        headers.get('X-Retry-After') ?? String(config.AUTH_RATE_LIMIT_WINDOW_SECONDS),
      );
    }
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  });
}

/** A failure inside Better Auth, in its shape: 503 when the database is down, else 500. */
function failedAuthResponse(c: Context<AppEnv>, error: unknown, logger: Logger): Response {
  const failure = asAppError(error);
  const unavailable = failure.code === 'database_unavailable';
  // Log the kind of failure only: driver messages here carry query parameters (emails).
  const { name, code } = error as { name?: string; code?: string };
  (unavailable ? logger.warn : logger.error).call(
    logger,
    { request_id: c.get('requestId'), error: { name, code } },
    'auth request failed',
  );
  const body = {
    code: unavailable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR',
    message: failure.message,
  };
  const retryAfter = failure.details.retryAfterSeconds;
  return c.json(
    body,
    unavailable ? 503 : 500,
    retryAfter ? { 'Retry-After': String(retryAfter) } : {},
  );
}

/**
 * Better Auth's handler with the request's id and client address in reach of every log line
 * it writes (its own and our policy's), and a log line for the per-address limit, which
 * answers before any hook runs.
 */
async function handleAuthRequest(
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
        account: email ? pseudonymOf(auth, email) : undefined,
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
