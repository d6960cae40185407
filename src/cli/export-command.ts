import { exportJson } from '../account/export.js';
import { AccountRepository } from '../account/repository.js';
import { ListRepository } from '../lists/repository.js';
import { SharingRepository } from '../sharing/repository.js';
import { TaskRepository } from '../tasks/repository.js';
import { CliError, type Command } from './command.js';

// todo export --user EMAIL: the document GET /api/me/export returns, for an operator, from
// the same code (src/account/export.ts), streamed to stdout, indented.

export const exportCommand: Command = {
  name: 'export',
  summary: "print a user's profile, lists and tasks as one JSON document",
  usage: 'export --user EMAIL',
  options: { user: { type: 'string', short: 'u' } },
  async run(ctx, values) {
    const email = typeof values.user === 'string' ? values.user.trim() : '';
    if (email === '') throw new CliError('give --user EMAIL (todo export --help)');
    const db = await ctx.open();
    const profile = await new AccountRepository(db).profileByEmail(email);
    if (!profile) throw new CliError(`no user with email ${email}`);
    const sources = {
      lists: new ListRepository(db),
      tasks: new TaskRepository(db),
      sharing: new SharingRepository(db),
    };
    for await (const chunk of exportJson(sources, profile, { space: 2 })) {
      await ctx.write(chunk);
    }
    await ctx.write('\n');
    return 0;
  },
};
