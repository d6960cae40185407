import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.js';

/** The paths and schemas of routes served by something other than OpenAPIHono (Better Auth). */
export interface ForeignDocument {
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown> };
}

/** Our routes' document (from the same schemas that validate requests) plus Better Auth's. */
export async function buildOpenApiDocument(
  app: OpenAPIHono<AppEnv>,
  authDocument: () => Promise<ForeignDocument>,
): Promise<object> {
  const ours = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Todo API',
      version: '1.0.0',
      description:
        "Multi-user task service. Sign up and sign in under /api/auth; send the session cookie, `Authorization: Bearer <session token>`, or `Authorization: Bearer <JWT>` from /api/auth/token. Errors are RFC 9457 problem details (application/problem+json), except under /api/auth, which answers in Better Auth's own {code, message} shape.",
    },
    servers: [{ url: '/' }],
  });
  ours.components ??= {};
  ours.components.securitySchemes = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      description: 'A JWT from GET /api/auth/token (15 min), or a session token from sign-in',
    },
    cookieAuth: { type: 'apiKey', in: 'cookie', name: 'better-auth.session_token' },
  };
  const theirs = await authDocument();
  for (const [path, item] of Object.entries(theirs.paths ?? {})) {
    const full = path.startsWith('/api/auth') ? path : `/api/auth${path}`;
    ours.paths ??= {};
    ours.paths[full] = item as never;
  }
  ours.components.schemas = {
    ...(theirs.components?.schemas ?? {}),
    ...ours.components.schemas,
  } as never;
  return ours;
}
