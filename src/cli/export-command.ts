import { exportJson } from '../account/export.js';
import { AccountRepository } from '../account/repository.js';
import type { Row } from '../db/database.js';
import { TaskRepository } from '../tasks/repository.js';
import { CliError, type Command } from './command.js';

// todo export --user EMAIL: the document GET /api/me/export returns, for an operator, from
// the same code (src/account/export.ts), streamed to stdout, indented.

interface UserIdRow extends Row {
  id: string;
}

export const exportCommand: Command = {
  name: 'export',
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
    const [user] = await db.query<UserIdRow>(
      'SELECT id FROM users WHERE lower(email) = lower($1)',
      [email.trim()],
    );
    const profile = user && (await new AccountRepository(db).profile(user.id));
    if (!profile) throw new CliError(`no user with email ${email.trim()}`);
    for await (const chunk of exportJson(new TaskRepository(db), profile, { space: 2 })) {
      await ctx.write(chunk);
    }
    await ctx.write('\n');
    return 0;
  },
};
