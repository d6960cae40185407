import type { OpenAPIHono } from '@hono/zod-openapi';
import { fail } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import type { ListRepository } from '../lists/repository.js';
import type { SharingRepository } from '../sharing/repository.js';
import type { TaskRepository } from '../tasks/repository.js';
import type { TaskCounts } from '../tasks/task.js';
import { exportJson, userJson } from './export.js';
import type { Reauthentication } from './reauthentication.js';
import type { AccountRepository, UserProfile } from './repository.js';
import { accountRoutes } from './routes.js';

export function registerAccountHandlers(
  app: OpenAPIHono<AppEnv>,
  accounts: AccountRepository,
  tasks: TaskRepository,
  lists: ListRepository,
  sharing: SharingRepository,
  reauthentication: Reauthentication,
): void {
  // A valid JWT may outlive its user: such a caller is no longer anyone (401).
  const profileOf = async (userId: string) => {
    const profile = await accounts.profile(userId);
    if (!profile) throw fail.unauthorized('The signed-in user no longer exists.');
    return profile;
  };

  const profileJson = (profile: UserProfile, counts: TaskCounts) => {
    return {
      ...userJson(profile),
      counts: {
        total: counts.total,
        pending: counts.pending,
        in_progress: counts.inProgress,
        completed: counts.completed,
        overdue: counts.overdue,
      },
    };
  };

  app.openapi(accountRoutes.me, async (c) => {
    const userId = c.get('user').id;
    const [profile, counts] = await Promise.all([profileOf(userId), tasks.counts(userId)]);
    return c.json(profileJson(profile, counts), 200);
  });

  app.openapi(accountRoutes.update, async (c) => {
    const body = c.req.valid('json');
    const profile = await accounts.update(c.get('user').id, {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.timezone === undefined ? {} : { timezone: body.timezone }),
      ...(body.email_reminders === undefined ? {} : { emailReminders: body.email_reminders }),
    });
    if (!profile) throw fail.unauthorized('The signed-in user no longer exists.');
    return c.json(profileJson(profile, await tasks.counts(profile.id)), 200);
  });

  app.openapi(accountRoutes.export, async (c) => {
    const profile = await profileOf(c.get('user').id);
    const chunks = exportJson({ lists, tasks, sharing }, profile);
    // The head and the first batch are read before the status is sent, so a database that
    // is down is still a 503 problem; a failure after that can only cut the stream short.
    const encoder = new TextEncoder();
    const ahead = [(await chunks.next()).value ?? '', (await chunks.next()).value ?? ''];
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = ahead.shift() ?? (await chunks.next()).value;
        if (next === undefined) controller.close();
        else controller.enqueue(encoder.encode(next));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
    // The contract types this response as JSON (it is): a stream of it has no such type.
    return c.body(body, 200, { 'Content-Type': 'application/json' }) as never;
  });

  app.openapi(accountRoutes.remove, async (c) => {
    const profile = await profileOf(c.get('user').id);
    await reauthentication.require(c, profile, c.req.valid('json').password);
    if (!(await accounts.delete(profile.id)))
      throw fail.unauthorized('The signed-in user no longer exists.');
    return c.body(null, 204);
  });
}
