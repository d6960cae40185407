import type { Row } from '../db/database.js';
import { TaskRepository } from '../tasks/repository.js';
import { taskToJson } from '../tasks/task-json.js';
import { CliError, defineCommand } from './commands.js';

// todo export --user EMAIL: the document GET /api/me/export returns, for an operator.

interface UserRow extends Row {
  id: string;
  email: string;
  name: string;
  created_at: Date;
}

defineCommand('export', {
  summary: "print a user's profile and all their tasks as one JSON document",
  usage: 'export --user EMAIL',
  options: { user: { type: 'string', short: 'u' } },
  async run(ctx, values) {
    const email = values.user;
    if (typeof email !== 'string' || email.trim() === '') {
      throw new CliError('give --user EMAIL (todo export --help)');
    }
    const db = await ctx.open();
    // Emails are unique whatever their case (users_email_lower_key).
    const [user] = await db.query<UserRow>(
      'SELECT id, email, name, created_at FROM users WHERE lower(email) = lower($1)',
      [email.trim()],
    );
    if (!user) throw new CliError(`no user with email ${email.trim()}`);
    const tasks = await new TaskRepository(db).all(user.id);
    const document = {
      exported_at: new Date().toISOString(),
      user: {
        id: user.id,
        email: user.email,
        name: user.name,
        created_at: user.created_at.toISOString(),
      },
      tasks: tasks.map(taskToJson),
    };
    ctx.out(JSON.stringify(document, null, 2));
    return 0;
  },
});
