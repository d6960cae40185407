import { createHmac } from 'node:crypto';

/**
 * A stable pseudonym for an account, for logs and the per-account sign-in count: an HMAC of
 * the lower-cased email with the auth secret. The same email always gives the same value, an
 * unknown email gives one too, and without the secret it cannot be turned back into the email.
 */
export function accountPseudonym(secret: string, email: string): string {
  return createHmac('sha256', secret)
    .update(`account:${email.trim().toLowerCase()}`)
    .digest('base64url')
    .slice(0, 22);
}
