import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware, isAPIError } from 'better-auth/api';
import type { Logger } from '../logger.js';
import { accountPseudonym } from './account-pseudonym.js';
import { isCommonPassword, PASSWORD_MIN_LENGTH, PASSWORD_TOO_COMMON } from './password-policy.js';
import type { SignInLimiter } from './sign-in-limiter.js';

// Our rules on top of Better Auth's email + password endpoints, as one plugin: names and
// passwords at sign-up, the per-account sign-in limit, one log line per auth decision, and
// an origin error that says what to configure.

export const NAME_MAX_LENGTH = 100;

export const INVALID_NAME = {
  code: 'INVALID_NAME',
  message: `Name must be 1 to ${NAME_MAX_LENGTH} characters`,
} as const;

export const INVALID_ORIGIN_MESSAGE =
  "Invalid origin: set BETTER_AUTH_URL to this site's URL (the address in the browser's address bar) and restart the server";

export interface AuthPolicyOptions {
  secret: string;
  limiter: SignInLimiter;
  logger: Logger;
}

/** The request an auth line belongs to, for lines logged outside Better Auth's handler. */
export interface AuthRequestContext {
  requestId: string;
  clientAddress: string;
}

type AuthEvent =
  | 'sign_in_succeeded'
  | 'sign_in_failed'
  | 'rate_limited'
  | 'sign_up'
  | 'sign_up_refused';

/**
 * One line per auth decision: the event, the request id, the client address and the account
 * as a pseudonym. Never the email, a password or a token.
 */
export function logAuthEvent(
  logger: Logger,
  event: AuthEvent | 'api_unauthorized',
  fields: { account?: string; status?: number; reason?: string; retry_after?: number } = {},
  request?: AuthRequestContext,
): void {
  // Inside Better Auth's handler the log context supplies the request id and address.
  const line = request
    ? { event, request_id: request.requestId, client_address: request.clientAddress, ...fields }
    : { event, ...fields };
  if (event === 'sign_in_succeeded' || event === 'sign_up') logger.info(line, 'auth');
  else logger.warn(line, 'auth');
}

const bodyField = (body: unknown, key: string): unknown =>
  typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;

/** A trimmed name of 1..NAME_MAX_LENGTH characters, or an APIError. */
function checkedName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  // Counted in code points, as a person counts characters.
  const length = [...trimmed].length;
  if (length < 1 || length > NAME_MAX_LENGTH) throw APIError.from('BAD_REQUEST', INVALID_NAME);
  return trimmed;
}

function refuseCommonPassword(password: unknown): void {
  // A short one is refused by Better Auth's own length rule, with its own code.
  if (typeof password === 'string' && password.length >= PASSWORD_MIN_LENGTH) {
    if (isCommonPassword(password)) throw APIError.from('BAD_REQUEST', PASSWORD_TOO_COMMON);
  }
}

const statusOf = (returned: unknown): number => (isAPIError(returned) ? returned.statusCode : 200);

export function authPolicy({ secret, limiter, logger }: AuthPolicyOptions) {
  const pseudonym = (email: unknown) =>
    typeof email === 'string' && email.trim() !== '' ? accountPseudonym(secret, email) : undefined;

  return {
    id: 'todo-auth-policy',
    hooks: {
      before: [
        {
          matcher: (ctx) => ctx.path === '/sign-up/email',
          handler: createAuthMiddleware(async (ctx) => {
            const account = pseudonym(bodyField(ctx.body, 'email'));
            try {
              const name = checkedName(bodyField(ctx.body, 'name'));
              refuseCommonPassword(bodyField(ctx.body, 'password'));
              return { context: { body: { ...ctx.body, name } } };
            } catch (error) {
              const reason = isAPIError(error) ? String(error.body?.code) : 'unknown';
              logAuthEvent(logger, 'sign_up_refused', { account, status: 400, reason });
              throw error;
            }
          }),
        },
        {
          matcher: (ctx) => ctx.path === '/update-user',
          handler: createAuthMiddleware(async (ctx) => {
            if (bodyField(ctx.body, 'name') === undefined) return;
            const name = checkedName(bodyField(ctx.body, 'name'));
            return { context: { body: { ...ctx.body, name } } };
          }),
        },
        {
          matcher: (ctx) => ctx.path === '/change-password' || ctx.path === '/reset-password',
          handler: createAuthMiddleware(async (ctx) => {
            refuseCommonPassword(bodyField(ctx.body, 'newPassword'));
          }),
        },
        {
          // Counted before the password is checked, so parallel guesses are counted too.
          matcher: (ctx) => ctx.path === '/sign-in/email',
          handler: createAuthMiddleware(async (ctx) => {
            const account = pseudonym(bodyField(ctx.body, 'email'));
            if (!account) return;
            const decision = await limiter.attempt(account);
            if (decision.allowed) return;
            const seconds = decision.retryAfterSeconds;
            logAuthEvent(logger, 'rate_limited', {
              account,
              status: 429,
              reason: 'account',
              retry_after: seconds,
            });
            throw new APIError(
              'TOO_MANY_REQUESTS',
              {
                code: 'TOO_MANY_ATTEMPTS',
                message: `Too many failed sign-ins; try again in ${seconds} seconds`,
              },
              { 'Retry-After': String(seconds) },
            );
          }),
        },
      ],
      after: [
        {
          matcher: (ctx) => ctx.path === '/sign-in/email',
          handler: createAuthMiddleware(async (ctx) => {
            const account = pseudonym(bodyField(ctx.body, 'email'));
            const returned = ctx.context.returned;
            if (!isAPIError(returned) && ctx.context.newSession) {
              if (account) await limiter.succeeded(account);
              logAuthEvent(logger, 'sign_in_succeeded', { account, status: 200 });
            } else {
              logAuthEvent(logger, 'sign_in_failed', {
                account,
                status: statusOf(returned),
                reason: isAPIError(returned) ? String(returned.body?.code) : undefined,
              });
            }
          }),
        },
        {
          matcher: (ctx) => ctx.path === '/sign-up/email',
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned;
            const account = pseudonym(bodyField(ctx.body, 'email'));
            if (isAPIError(returned)) {
              logAuthEvent(logger, 'sign_up_refused', {
                account,
                status: returned.statusCode,
                reason: String(returned.body?.code),
              });
            } else {
              // The same answer for a new and an existing email; Better Auth logs which.
              logAuthEvent(logger, 'sign_up', { account, status: 200 });
            }
          }),
        },
      ],
    },
    async onResponse(response) {
      if (response.status !== 403) return;
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as { code?: string } | undefined;
      if (body?.code !== 'INVALID_ORIGIN') return;
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return {
        response: new Response(
          JSON.stringify({ code: 'INVALID_ORIGIN', message: INVALID_ORIGIN_MESSAGE }),
          { status: 403, statusText: response.statusText, headers },
        ),
      };
    },
  } satisfies BetterAuthPlugin;
}
