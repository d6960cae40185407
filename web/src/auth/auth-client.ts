import { createAuthClient } from 'better-auth/react';

// Better Auth's client on the same origin: it talks to /api/auth and the server sets the
// session cookie, which every /api request then carries.
export const authClient = createAuthClient({
  baseURL: window.location.origin,
  basePath: '/api/auth',
});

/** Better Auth's error JSON is {code, message}; say it as a sentence a person can act on. */
export function authErrorMessage(error: { message?: string; status?: number }): string {
  if (error.status === 429) return 'Too many attempts. Wait a minute and try again.';
  const message = error.message?.trim();
  if (!message) return 'That did not work. Try again.';
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
