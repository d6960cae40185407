import type { OpenAPIHono } from '@hono/zod-openapi';
import { Unauthorized } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import type { TaskRepository } from '../tasks/repository.js';
import { taskToJson } from '../tasks/task-json.js';
import type { Reauthentication } from './reauthentication.js';
import type { AccountRepository, UserProfile } from './repository.js';
import { accountRoutes } from './routes.js';

const userJson = (user: UserProfile) => ({
  id: user.id,
  email: user.email,
  name: user.name,
  created_at: user.createdAt.toISOString(),
});

export function registerAccountHandlers(
  app: OpenAPIHono<AppEnv>,
  accounts: AccountRepository,
  tasks: TaskRepository,
  reauthentication: Reauthentication,
): void {
  // A valid JWT may outlive its user: such a caller is no longer anyone (401).
  const profileOf = async (userId: string) => {
    const profile = await accounts.profile(userId);
    if (!profile) throw Unauthorized('The signed-in user no longer exists.');
    return profile;
  };

  app.openapi(accountRoutes.me, async (c) => {
    const userId = c.get('user').id;
    const [profile, counts] = await Promise.all([profileOf(userId), tasks.counts(userId)]);
    return c.json(
      {
        ...userJson(profile),
        counts: {
          total: counts.total,
          pending: counts.pending,
          in_progress: counts.inProgress,
          completed: counts.completed,
          overdue: counts.overdue,
        },
      },
      200,
    );
  });

  app.openapi(accountRoutes.export, async (c) => {
    const userId = c.get('user').id;
    const [profile, all] = await Promise.all([profileOf(userId), tasks.all(userId)]);
    return c.json(
      {
        exported_at: new Date().toISOString(),
        user: userJson(profile),
        tasks: all.map(taskToJson),
      },
      200,
    );
  });

  app.openapi(accountRoutes.remove, async (c) => {
    const profile = await profileOf(c.get('user').id);
    await reauthentication.require(c, profile, c.req.valid('json').password);
    if (!(await accounts.delete(profile.id)))
      throw Unauthorized('The signed-in user no longer exists.');
    return c.body(null, 204);
  });
}
