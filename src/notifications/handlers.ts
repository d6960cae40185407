import type { OpenAPIHono } from '@hono/zod-openapi';
import { fail } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import { idPage } from '../http/id-pages.js';
import type { NotificationRepository } from './repository.js';
import { notificationRoutes } from './routes.js';
import { notificationToJson } from './schemas.js';

export function registerNotificationHandlers(
  app: OpenAPIHono<AppEnv>,
  notifications: NotificationRepository,
): void {
  app.openapi(notificationRoutes.list, async (c) => {
    const { limit, cursor, unread } = c.req.valid('query');
    const rows = await notifications.list(c.get('user').id, {
      unread: unread ?? false,
      limit: limit + 1,
      ...(cursor === undefined ? {} : { afterId: cursor }),
    });
    return c.json(idPage(c, rows, limit).map(notificationToJson), 200);
  });

  // Registered before the route with {id}, which would otherwise take "read-all" as an id.
  app.openapi(notificationRoutes.readAll, async (c) => {
    await notifications.markAllRead(c.get('user').id);
    return c.body(null, 204);
  });

  app.openapi(notificationRoutes.read, async (c) => {
    const notification = await notifications.markRead(c.get('user').id, c.req.valid('param').id);
    if (!notification) throw fail.notificationNotFound();
    return c.json(notificationToJson(notification), 200);
  });
}
