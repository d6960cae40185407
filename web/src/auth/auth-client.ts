import { createAuthClient } from 'better-auth/react';

// Better Auth's client on the same origin: it talks to /api/auth and the server sets the
// session cookie, which every /api request then carries.
export const authClient = createAuthClient({
  baseURL: window.location.origin,
  basePath: '/api/auth',
});

/** The server's rule (src/auth/password-policy.ts). */
export const PASSWORD_MIN_LENGTH = 12;

/**
 * Sign-up went through but signing in with the same details did not: the email had an
 * account already, with another password. Said without confirming that it did.
 */
export const SIGN_UP_NOT_SIGNED_IN =
  'We could not sign you in with these details. If you already have an account with this email, sign in with its password instead.';

/** Better Auth's error JSON is {code, message}; say it as a sentence a person can act on. */
export function authErrorMessage(error: {
  message?: string;
  status?: number;
  code?: string;
}): string {
  if (error.status === 429) {
    return 'Too many attempts. Wait a few minutes and try again.';
  }
  if (error.code === 'PASSWORD_TOO_SHORT') {
    return `Password too short: use at least ${PASSWORD_MIN_LENGTH} characters.`;
  }
  if (error.code === 'PASSWORD_TOO_COMMON') {
    return 'That password is too common: choose one that is harder to guess.';
  }
  const message = error.message?.trim();
  if (!message) return 'That did not work. Try again.';
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
