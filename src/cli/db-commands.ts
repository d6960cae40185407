import { createInterface } from 'node:readline/promises';
import { Migrator, pad } from '../db/migrator.js';
import { defaultRoleNames, isPlainIdentifier, rolesSql } from '../db/roles.js';
import { CliError, type Command, intOption } from './command.js';

// todo db migrate | rollback | status | reset: migrations through DIRECT_DATABASE_URL when set.
// todo db roles: the SQL for the two database roles (docs/OPERATIONS.md).

export const dbMigrateCommand: Command = {
  name: 'db migrate',
  summary: 'apply pending migrations (all, or up to --to N)',
  usage: 'db migrate [--to N]',
  options: { to: { type: 'string' } },
  async run(ctx, values) {
    const migrator = new Migrator(await ctx.open({ direct: true }), undefined, {
      onApply: (m, _d, ms) => ctx.err(`applied ${pad(m.version)}_${m.name} (${Math.round(ms)} ms)`),
    });
    const applied = await migrator.migrate({ to: intOption(values.to, 'to') });
    ctx.err(
      applied.length
        ? `migrated: ${applied.length} applied`
        : 'nothing to migrate: the database is up to date',
    );
    return 0;
  },
};

export const dbRollbackCommand: Command = {
  name: 'db rollback',
  summary: 'revert the newest migration (or --steps N, or every one above --to N)',
  usage: 'db rollback [--steps N | --to N]',
  options: { steps: { type: 'string' }, to: { type: 'string' } },
  async run(ctx, values) {
    if (values.steps !== undefined && values.to !== undefined)
      throw new CliError('give --steps or --to, not both');
    const migrator = new Migrator(await ctx.open({ direct: true }), undefined, {
      onApply: (m, _d, ms) =>
        ctx.err(`reverted ${pad(m.version)}_${m.name} (${Math.round(ms)} ms)`),
    });
    const reverted = await migrator.rollback({
      steps: intOption(values.steps, 'steps', 1),
      to: intOption(values.to, 'to'),
    });
    ctx.err(reverted.length ? `rolled back: ${reverted.length} reverted` : 'nothing to roll back');
    return 0;
  },
};

export const dbStatusCommand: Command = {
  name: 'db status',
  summary: 'list migrations: applied, pending, or changed since applied (checksum drift)',
  usage: 'db status',
  async run(ctx) {
    const statuses = await new Migrator(await ctx.open({ direct: true })).status();
    for (const s of statuses) {
      const when = s.appliedAt ? s.appliedAt.toISOString() : '';
      ctx.out(`${pad(s.version)}  ${s.name.padEnd(28)} ${s.state.padEnd(8)} ${when}`.trimEnd());
    }
    const bad = statuses.filter((s) => s.state === 'changed' || s.state === 'unknown');
    if (bad.length) {
      ctx.err(`${bad.length} migration(s) differ from the files: see "changed"/"unknown" above`);
      return 1;
    }
    return 0;
  },
};

export const dbResetCommand: Command = {
  name: 'db reset',
  summary: 'revert every migration and apply them again: ALL DATA IS LOST (asks unless --yes)',
  usage: 'db reset [--yes]',
  options: { yes: { type: 'boolean', short: 'y' } },
  async run(ctx, values) {
    if (!values.yes && !(await confirm('Delete every user and task and rebuild the database?'))) {
      throw new CliError('not confirmed: pass --yes to reset without asking');
    }
    const migrator = new Migrator(await ctx.open({ direct: true }));
    await migrator.rollback({ to: 0 });
    await migrator.migrate();
    ctx.err('reset: the database is empty and migrated');
    return 0;
  },
};

export const dbRolesCommand: Command = {
  name: 'db roles',
  summary: 'print the SQL that creates the owner and runtime roles and the database (runs nothing)',
  usage: 'db roles [--owner NAME] [--app NAME] [--database NAME]',
  options: { owner: { type: 'string' }, app: { type: 'string' }, database: { type: 'string' } },
  async run(ctx, values) {
    const names = {
      owner: (values.owner as string | undefined) ?? defaultRoleNames.owner,
      app: (values.app as string | undefined) ?? defaultRoleNames.app,
      database: (values.database as string | undefined) ?? defaultRoleNames.database,
    };
    for (const [option, name] of Object.entries(names)) {
      if (!isPlainIdentifier(name)) {
        throw new CliError(`--${option} must be lower-case letters, digits and _ (got "${name}")`);
      }
    }
    ctx.out(rolesSql(names));
    return 0;
  },
};

/** Asks on the terminal; no terminal (a pipe, a script) is a no. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
