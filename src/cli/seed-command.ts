import { hashPassword } from 'better-auth/crypto';
import type { Queryable } from '../db/database.js';
import { CliError, type Command, intOption } from './command.js';
import { createProgressBar } from './progress-bar.js';

// todo db seed: N users who can sign in with one shared password, five lists each (the Inbox
// and four more) and M tasks spread over them, for demos and load tests. Bulk SQL
// (generate_series), one transaction per batch of users.

const USERS_PER_BATCH = 100;
const DEFAULT_PASSWORD = 'password1234';
// Better Auth's default minimum: a shorter password could not be typed into the sign-in form.
const PASSWORD_MIN = 8;

/** The email of seeded user i: user1@example.test, or load-user1@example.test with --prefix load-. */
const emailSql = `$1::text || 'user' || i || '@example.test'`;

const findExistingUser = `
  SELECT email FROM users
   WHERE lower(email) IN (SELECT ${emailSql} FROM generate_series(1, $2::int) AS i)
   LIMIT 1`;

// Users i = $2..$3 and, for each, the credential account Better Auth signs in with
// (account_id is the user id, password the scrypt hash). Verified, so that sign-in works
// even where email verification is required.
const insertUsers = `
  WITH new_users AS (
    INSERT INTO users (id, name, email, email_verified)
    SELECT gen_random_uuid()::text, 'User ' || i, ${emailSql}, true
      FROM generate_series($2::int, $3::int) AS i
    RETURNING id
  )
  INSERT INTO accounts (id, user_id, account_id, provider_id, password)
  SELECT gen_random_uuid()::text, id, id, 'credential', $4::text FROM new_users`;

// The batch's bounds, for the DO block below (which takes no parameters), set for this
// transaction only.
const setBatch = `
  SELECT set_config('todo.seed_prefix', $1, true), set_config('todo.seed_first', $2, true),
         set_config('todo.seed_last', $3, true), set_config('todo.seed_tasks', $4, true)`;

// RLS is forced on tasks: a role that is not a superuser may insert only rows of the user in
// app.user_id, so the tasks go in one user at a time, in a server-side loop (no round trips).
// The BEFORE INSERT trigger sets created_at = now(): every task of a batch gets the same time.
const insertTasks = `
DO $seed$
DECLARE
  seeded record;
  list_ids bigint[];
BEGIN
  FOR seeded IN
    SELECT u.id, i
      FROM generate_series(current_setting('todo.seed_first')::int,
                           current_setting('todo.seed_last')::int) AS i
      JOIN users u ON lower(u.email) = current_setting('todo.seed_prefix') || 'user' || i || '@example.test'
  LOOP
    PERFORM set_config('app.user_id', seeded.id, true);
    INSERT INTO lists (owner_id, name, color)
    VALUES (seeded.id, 'Work', '#1e90ff'), (seeded.id, 'Home', '#2e8b57'),
           (seeded.id, 'Errands', '#ff8c00'), (seeded.id, 'Reading', NULL);
    SELECT array_agg(id ORDER BY inbox DESC, id) INTO list_ids
      FROM lists WHERE owner_id = seeded.id;
    -- Task j goes to list j mod 5, at the j-th position: distinct within every list.
    INSERT INTO tasks (user_id, list_id, position, title, description, status, priority, tags,
                       due_date)
    SELECT seeded.id, list_ids[1 + j % 5], position_key(j),
           'Task ' || j || ' of user ' || seeded.i,
           CASE WHEN j % 4 = 0 THEN 'Seeded task ' || j || ', with a description' END,
           (ARRAY['pending', 'in_progress', 'completed'])[1 + (j + seeded.i) % 3],
           ((j + seeded.i) % 4)::smallint,
           CASE WHEN j % 3 = 0 THEN ARRAY['work']
                WHEN j % 5 = 0 THEN ARRAY['home', 'errand']
                ELSE '{}'::text[] END,
           -- Half have none; of the rest, some are overdue and some due within weeks.
           CASE WHEN j % 2 = 0 THEN now() + (j % 30 - 10) * interval '1 day' END
      FROM generate_series(1, current_setting('todo.seed_tasks')::int) AS j;
  END LOOP;
END
$seed$`;

async function seedBatch(
  tx: Queryable,
  batch: { prefix: string; first: number; last: number; tasksPerUser: number; hash: string },
): Promise<void> {
  await tx.query(insertUsers, [batch.prefix, batch.first, batch.last, batch.hash]);
  if (batch.tasksPerUser === 0) return;
  await tx.query(setBatch, [
    batch.prefix,
    String(batch.first),
    String(batch.last),
    String(batch.tasksPerUser),
  ]);
  await tx.exec(insertTasks);
}

function parsePrefix(value: string | boolean | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9._+-]{0,39}$/.test(value)) {
    throw new CliError('--prefix takes up to 40 lower-case letters, digits and . _ + -');
  }
  return value;
}

/** The database name in a server URL, for saying which database seeding would write to. */
function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || '(default)';
  } catch {
    return '(unknown)';
  }
}

export const dbSeedCommand: Command = {
  name: 'db seed',
  summary: 'create N users (user1@example.test …) with M tasks each, for demos and load tests',
  usage: `db seed --users N --tasks M [--password P] [--prefix P] [--force]

  Seeds the embedded database (DATA_DIR). A PostgreSQL server (DATABASE_URL) may hold real
  users, so seeding it needs --force.

  --users N      users to create (user1@example.test … userN@example.test)
  --tasks M      tasks per user (0 for none)
  --password P   the password of every seeded user (default ${DEFAULT_PASSWORD})
  --prefix P     put P before the emails (P + user1@example.test) to seed beside earlier users
  --force        seed the server database in DATABASE_URL too`,
  options: {
    force: { type: 'boolean' },
    users: { type: 'string' },
    tasks: { type: 'string' },
    password: { type: 'string' },
    prefix: { type: 'string' },
  },
  async run(ctx, values) {
    const userCount = intOption(values.users, 'users', 1);
    const tasksPerUser = intOption(values.tasks, 'tasks', 0);
    if (userCount === undefined || tasksPerUser === undefined) {
      throw new CliError('give --users N and --tasks M (todo db seed --help)');
    }
    const prefix = parsePrefix(values.prefix);
    const password = typeof values.password === 'string' ? values.password : DEFAULT_PASSWORD;
    if (password.length < PASSWORD_MIN) {
      throw new CliError(`--password needs at least ${PASSWORD_MIN} characters`);
    }

    // Demo users with a known password do not belong in a real database: only the embedded
    // one is seeded without asking.
    if (ctx.config.DATABASE_URL && !values.force) {
      throw new CliError(
        `refusing to seed the server database "${databaseName(ctx.config.DATABASE_URL)}" (DATABASE_URL): demo users share a known password; pass --force if it is a development or test database`,
      );
    }

    const started = performance.now();
    const db = await ctx.open();
    const [existing] = await db.query<{ email: string }>(findExistingUser, [prefix, userCount]);
    if (existing) {
      throw new CliError(
        `${existing.email} already exists; pass --prefix to seed users with other emails`,
      );
    }
    // scrypt is slow on purpose: hash once, and every user shares the hash.
    const hash = await hashPassword(password);

    const progress = createProgressBar(userCount, 'users');
    for (let first = 1; first <= userCount; first += USERS_PER_BATCH) {
      const last = Math.min(userCount, first + USERS_PER_BATCH - 1);
      await db.transaction((tx) => seedBatch(tx, { prefix, first, last, tasksPerUser, hash }));
      progress.update(last);
    }
    progress.finish();

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    ctx.err(`seeded ${userCount} users × ${tasksPerUser} tasks in ${seconds} s`);
    return 0;
  },
};
