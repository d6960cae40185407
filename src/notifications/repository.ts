import type { Queryable, Row } from '../db/database.js';
import { functionCaller } from '../db/function-call.js';

// A person's notifications: what their reminders left when they went off. Each call is one
// function of migrations/0013 that sets app.user_id, under row-level security by user.

export interface Notification {
  id: number;
  taskId: number;
  title: string;
  dueDate: Date | null;
  /** When the reminder was due. */
  fireAt: Date;
  firedAt: Date;
  /** Fired more than a minute after its time: the server was down then. */
  late: boolean;
  readAt: Date | null;
  createdAt: Date;
}

interface NotificationRow extends Row {
  id: string;
  task_id: string;
  title: string;
  due_date: Date | null;
  fire_at: Date;
  fired_at: Date;
  late: boolean;
  read_at: Date | null;
  created_at: Date;
}

interface NotificationFunctions {
  notification_list: {
    args: [userId: string, unread: boolean, afterId: number | null, limit: number];
    row: NotificationRow;
  };
  notification_read: { args: [userId: string, id: number]; row: NotificationRow };
  notification_read_all: { args: [userId: string]; row: { notification_read_all: number } };
}

const toNotification = (row: NotificationRow): Notification => ({
  id: Number(row.id),
  taskId: Number(row.task_id),
  title: row.title,
  dueDate: row.due_date,
  fireAt: row.fire_at,
  firedAt: row.fired_at,
  late: row.late,
  readAt: row.read_at,
  createdAt: row.created_at,
});

export class NotificationRepository {
  private readonly call;

  constructor(db: Queryable) {
    this.call = functionCaller<NotificationFunctions>(db);
  }

  /** Newest first: at most `limit`, below the notification `afterId`; only unread ones on request. */
  async list(
    userId: string,
    options: { unread: boolean; limit: number; afterId?: number },
  ): Promise<Notification[]> {
    const rows = await this.call('notification_list', [
      userId,
      options.unread,
      options.afterId ?? null,
      options.limit,
    ]);
    return rows.map(toNotification);
  }

  /** Marks one read; undefined when the user has no such notification. */
  async markRead(userId: string, id: number): Promise<Notification | undefined> {
    const [row] = await this.call('notification_read', [userId, id]);
    return row && toNotification(row);
  }

  /** Marks every unread one read; how many were. */
  async markAllRead(userId: string): Promise<number> {
    const [row] = await this.call('notification_read_all', [userId]);
    return Number(row?.notification_read_all ?? 0);
  }
}
