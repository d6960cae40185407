import { createRoute, z } from '@hono/zod-openapi';
import { IdPathParamSchema, idPageHeaders } from '../http/id-pages.js';
import { jsonContent, problemResponses, signedIn } from '../http/openapi-responses.js';
import { NotificationListQuerySchema, NotificationSchema } from './schemas.js';

const tags = ['Notifications'];

export const notificationRoutes = {
  list: createRoute({
    method: 'get',
    path: '/api/notifications',
    tags,
    security: signedIn,
    summary: "The caller's notifications, newest first",
    description:
      'What the reminders of the caller\'s tasks (and of tasks assigned to them) left when they went off. Keyset pagination: follow Link rel="next" or pass X-Next-Cursor as cursor.',
    request: { query: NotificationListQuerySchema },
    responses: {
      200: {
        ...jsonContent(z.array(NotificationSchema), 'A page of notifications'),
        headers: idPageHeaders,
      },
      ...problemResponses(400),
    },
  }),
  read: createRoute({
    method: 'post',
    path: '/api/notifications/{id}/read',
    tags,
    security: signedIn,
    summary: 'Mark a notification read',
    request: { params: IdPathParamSchema },
    responses: {
      200: jsonContent(NotificationSchema, 'The notification'),
      ...problemResponses(400, 404),
    },
  }),
  readAll: createRoute({
    method: 'post',
    path: '/api/notifications/read-all',
    tags,
    security: signedIn,
    summary: 'Mark every notification read',
    responses: { 204: { description: 'All read' }, ...problemResponses() },
  }),
};
