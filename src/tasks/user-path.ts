import type { MiddlewareHandler } from 'hono';
import { fail } from '../errors.js';
import type { AppEnv } from '../http/context.js';

/**
 * The original front end's paths name the user (/api/{user_id}/tasks…): only the caller's
 * own id is allowed there, anything else is 403 before any handler runs.
 */
export const requireOwnUserPath: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.param('user_id') !== c.get('user').id) {
    throw fail.forbidden('The user in the path is not the signed-in user.');
  }
  await next();
};
