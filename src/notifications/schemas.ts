import { z } from '@hono/zod-openapi';
import { IdPageQuerySchema } from '../http/id-pages.js';
import type { Notification } from './repository.js';

const time = z.string().openapi({ format: 'date-time', example: '2026-12-01T08:45:00.000Z' });

export const NotificationSchema = z
  .object({
    id: z.number().int().openapi({ example: 3 }),
    task_id: z.number().int().openapi({ example: 42 }),
    title: z.string().openapi({ description: "The task's title when the reminder went off" }),
    due_date: time.nullable().openapi({ description: "The task's due date then" }),
    fire_at: time.openapi({ description: 'When the reminder was due' }),
    fired_at: time.openapi({ description: 'When it went off' }),
    late: z.boolean().openapi({
      description: 'It went off more than a minute after its time (the server was down then)',
    }),
    read: z.boolean(),
    created_at: time,
  })
  .openapi('Notification');

export type NotificationJson = z.output<typeof NotificationSchema>;

export const NotificationListQuerySchema = IdPageQuerySchema.extend({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ type: 'string', enum: ['true', 'false'], description: 'true: only unread ones' }),
});

export const notificationToJson = (n: Notification): NotificationJson => ({
  id: n.id,
  task_id: n.taskId,
  title: n.title,
  due_date: n.dueDate?.toISOString() ?? null,
  fire_at: n.fireAt.toISOString(),
  fired_at: n.firedAt.toISOString(),
  late: n.late,
  read: n.readAt !== null,
  created_at: n.createdAt.toISOString(),
});
