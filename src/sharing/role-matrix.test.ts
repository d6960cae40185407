import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { expectProblem } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import type { Queryable } from '../db/database.js';
import type { ListJson } from '../lists/list-json.js';
import type { TaskJson } from '../tasks/task-json.js';
import type { CreatedInvitationJson } from './schemas.js';

// Who may do what in a shared list, for every route and every role: a non-member gets 404
// (as if the list did not exist), a member without the right 403 insufficient_role, and
// nothing changes when a request is refused. Then the same table again, as SQL run by the
// runtime role with none of the application's conditions, where row-level security alone
// must give the same answer: the row is hidden (404), the write touches nothing (403), or
// it happens (2xx).

let api: TestApi;
/** The owner of each fixture's list, its admin, editor and viewer, someone else, and a
 * second viewer whom the member routes act on. */
let people: Record<Actor | 'target', TestUser>;

const actors = ['stranger', 'viewer', 'editor', 'admin', 'owner'] as const;
type Actor = (typeof actors)[number];

beforeAll(async () => {
  api = await startTestApi();
  const [owner, admin, editor, viewer, stranger, target] = await Promise.all(
    ['Olive Owner', 'Ada Admin', 'Ed Editor', 'Vi Viewer', 'Stan Stranger', 'Tom Target'].map(
      (name) => buildUser(api, { name }),
    ),
  );
  people = {
    owner: owner!,
    admin: admin!,
    editor: editor!,
    viewer: viewer!,
    stranger: stranger!,
    target: target!,
  };
});
afterAll(() => api.close());

interface Fixture {
  list: number;
  /** A top-level task of the list, and a second one to stand next to. */
  task: number;
  sibling: number;
  /** A pending viewer link of the list. */
  invitation: number;
}

async function ok<T>(response: Promise<Response>, status = 200): Promise<T> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function invite(list: number, role: string, by = people.owner) {
  return ok<CreatedInvitationJson>(
    api.json('POST', `/api/lists/${list}/invitations`, by, { role }),
    201,
  );
}

async function join(list: number, user: TestUser, role: string): Promise<void> {
  const { token } = await invite(list, role);
  await ok(api.json('POST', `/api/invitations/${token}/accept`, user));
}

/** A list of the owner's with two tasks, one member of each role, a target viewer and a link. */
async function fixture(): Promise<Fixture> {
  const list = await ok<ListJson>(
    api.json('POST', '/api/lists', people.owner, { name: 'Shared' }),
    201,
  );
  const task = await ok<TaskJson>(
    api.json('POST', '/api/tasks', people.owner, { title: 'First', list_id: list.id }),
    201,
  );
  const sibling = await ok<TaskJson>(
    api.json('POST', '/api/tasks', people.owner, { title: 'Second', list_id: list.id }),
    201,
  );
  await join(list.id, people.admin, 'admin');
  await join(list.id, people.editor, 'editor');
  await join(list.id, people.viewer, 'viewer');
  await join(list.id, people.target, 'viewer');
  const invitation = await invite(list.id, 'viewer');
  return { list: list.id, task: task.id, sibling: sibling.id, invitation: invitation.id };
}

/** Everything about a list, read as the superuser: what a refused request must leave alone. */
async function snapshot(list: number): Promise<unknown> {
  const db = api.database.db;
  return {
    list: await db.query('SELECT * FROM lists WHERE id = $1', [list]),
    tasks: await db.query('SELECT * FROM tasks WHERE list_id = $1 ORDER BY id', [list]),
    members: await db.query('SELECT * FROM list_members WHERE list_id = $1 ORDER BY user_id', [
      list,
    ]),
    invitations: await db.query('SELECT * FROM list_invitations WHERE list_id = $1 ORDER BY id', [
      list,
    ]),
  };
}

const all = (status: number) => ({ viewer: status, editor: status, admin: status, owner: status });
const from = (least: Exclude<Actor, 'stranger'>, status: number) => {
  const rank = ['viewer', 'editor', 'admin', 'owner'].indexOf(least);
  return Object.fromEntries(
    (['viewer', 'editor', 'admin', 'owner'] as const).map((role, i) => [
      role,
      i >= rank ? status : 403,
    ]),
  ) as Record<Exclude<Actor, 'stranger'>, number>;
};

/** A value in an SQL statement: the fixture's ids, the actor's own id, the owner's. */
interface SqlContext extends Fixture {
  me: string;
  owner: string;
  target: string;
}

interface Operation {
  name: string;
  /** Status by role; a stranger always gets 404. */
  expected: Record<Exclude<Actor, 'stranger'>, number>;
  request(f: Fixture, actor: TestUser): Promise<Response>;
  /**
   * The same act in SQL with no condition of the application's: `probe` reads the row it
   * acts on (nothing: hidden), `act` does it and returns the rows it touched or read.
   */
  sql: {
    probe: (c: SqlContext) => [string, unknown[]];
    act: (c: SqlContext) => [string, unknown[]];
  };
}

const readList = (c: SqlContext): [string, unknown[]] => [
  'SELECT id FROM lists WHERE id = $1',
  [c.list],
];
const readTask = (c: SqlContext): [string, unknown[]] => [
  'SELECT id FROM tasks WHERE id = $1',
  [c.task],
];

const operations: Operation[] = [
  {
    name: 'GET /api/lists/{id}',
    expected: all(200),
    request: (f, a) => api.json('GET', `/api/lists/${f.list}`, a),
    sql: { probe: readList, act: readList },
  },
  {
    name: 'GET /api/tasks?list_id=',
    expected: all(200),
    request: (f, a) => api.json('GET', `/api/tasks?list_id=${f.list}`, a),
    sql: {
      probe: readList,
      act: (c) => ['SELECT id FROM tasks WHERE list_id = $1', [c.list]],
    },
  },
  {
    name: 'GET /api/tasks/{id}',
    expected: all(200),
    request: (f, a) => api.json('GET', `/api/tasks/${f.task}`, a),
    sql: { probe: readTask, act: readTask },
  },
  {
    name: 'GET /api/lists/{id}/members',
    expected: all(200),
    request: (f, a) => api.json('GET', `/api/lists/${f.list}/members`, a),
    sql: {
      probe: readList,
      act: (c) => [
        'SELECT user_id FROM list_members WHERE list_id = $1 AND user_id = $2',
        [c.list, c.target],
      ],
    },
  },
  {
    name: 'POST /api/tasks into the list',
    expected: from('editor', 201),
    request: (f, a) => api.json('POST', '/api/tasks', a, { title: 'New', list_id: f.list }),
    sql: {
      probe: readList,
      act: (c) => [
        "INSERT INTO tasks (user_id, list_id, title) VALUES ($1, $2, 'New') RETURNING id",
        [c.owner, c.list],
      ],
    },
  },
  {
    name: 'POST /api/tasks as a subtask',
    expected: from('editor', 201),
    request: (f, a) => api.json('POST', '/api/tasks', a, { title: 'Sub', parent_id: f.task }),
    sql: {
      probe: readTask,
      act: (c) => [
        "INSERT INTO tasks (user_id, list_id, parent_id, title) VALUES ($1, $2, $3, 'Sub') RETURNING id",
        [c.owner, c.list, c.task],
      ],
    },
  },
  {
    name: 'PATCH /api/tasks/{id}',
    expected: from('editor', 200),
    request: (f, a) => api.json('PATCH', `/api/tasks/${f.task}`, a, { title: 'Changed' }),
    sql: {
      probe: readTask,
      act: (c) => ["UPDATE tasks SET title = 'Changed' WHERE id = $1 RETURNING id", [c.task]],
    },
  },
  {
    name: 'PUT /api/tasks/{id}',
    expected: from('editor', 200),
    request: (f, a) => api.json('PUT', `/api/tasks/${f.task}`, a, { title: 'Replaced' }),
    sql: {
      probe: readTask,
      act: (c) => [
        "UPDATE tasks SET title = 'Replaced', description = NULL WHERE id = $1 RETURNING id",
        [c.task],
      ],
    },
  },
  {
    name: 'PATCH /api/tasks/{id}/complete',
    expected: from('editor', 200),
    request: (f, a) => api.json('PATCH', `/api/tasks/${f.task}/complete`, a),
    sql: {
      probe: readTask,
      act: (c) => ["UPDATE tasks SET status = 'completed' WHERE id = $1 RETURNING id", [c.task]],
    },
  },
  {
    name: 'POST /api/tasks/{id}/move',
    expected: from('editor', 200),
    request: (f, a) => api.json('POST', `/api/tasks/${f.task}/move`, a, { after_id: f.sibling }),
    sql: {
      probe: readTask,
      act: (c) => ["UPDATE tasks SET position = 'a5' WHERE id = $1 RETURNING id", [c.task]],
    },
  },
  {
    name: 'DELETE /api/tasks/{id}',
    expected: from('editor', 204),
    request: (f, a) => api.json('DELETE', `/api/tasks/${f.task}`, a),
    sql: {
      probe: readTask,
      act: (c) => ['DELETE FROM tasks WHERE id = $1 RETURNING id', [c.task]],
    },
  },
  {
    name: 'PATCH /api/lists/{id}',
    expected: from('admin', 200),
    request: (f, a) => api.json('PATCH', `/api/lists/${f.list}`, a, { name: 'Renamed' }),
    sql: {
      probe: readList,
      act: (c) => ["UPDATE lists SET name = 'Renamed' WHERE id = $1 RETURNING id", [c.list]],
    },
  },
  {
    name: 'POST /api/lists/{id}/invitations as editor',
    expected: from('admin', 201),
    request: (f, a) => api.json('POST', `/api/lists/${f.list}/invitations`, a, { role: 'editor' }),
    sql: {
      probe: readList,
      act: (c) => [
        "INSERT INTO list_invitations (list_id, token_hash, role, expires_at) VALUES ($1, $2, 'editor', now() + interval '1 day') RETURNING id",
        [c.list, randomBytes(32)],
      ],
    },
  },
  {
    name: 'GET /api/lists/{id}/invitations',
    expected: from('admin', 200),
    request: (f, a) => api.json('GET', `/api/lists/${f.list}/invitations`, a),
    sql: {
      probe: readList,
      act: (c) => ['SELECT id FROM list_invitations WHERE list_id = $1', [c.list]],
    },
  },
  {
    name: 'DELETE /api/lists/{id}/invitations/{invitation_id}',
    expected: from('admin', 204),
    request: (f, a) => api.json('DELETE', `/api/lists/${f.list}/invitations/${f.invitation}`, a),
    sql: {
      probe: readList,
      act: (c) => ['DELETE FROM list_invitations WHERE id = $1 RETURNING id', [c.invitation]],
    },
  },
  {
    name: 'PATCH /api/lists/{id}/members/{viewer} to editor',
    expected: from('admin', 200),
    request: (f, a) =>
      api.json('PATCH', `/api/lists/${f.list}/members/${people.target.id}`, a, { role: 'editor' }),
    sql: {
      probe: readList,
      act: (c) => [
        "UPDATE list_members SET role = 'editor' WHERE list_id = $1 AND user_id = $2 RETURNING user_id",
        [c.list, c.target],
      ],
    },
  },
  {
    name: 'DELETE /api/lists/{id}/members/{viewer}',
    expected: from('admin', 204),
    request: (f, a) => api.json('DELETE', `/api/lists/${f.list}/members/${people.target.id}`, a),
    sql: {
      probe: readList,
      act: (c) => [
        'DELETE FROM list_members WHERE list_id = $1 AND user_id = $2 RETURNING user_id',
        [c.list, c.target],
      ],
    },
  },
  {
    name: 'POST /api/lists/{id}/invitations as admin',
    expected: from('owner', 201),
    request: (f, a) => api.json('POST', `/api/lists/${f.list}/invitations`, a, { role: 'admin' }),
    sql: {
      probe: readList,
      act: (c) => [
        "INSERT INTO list_invitations (list_id, token_hash, role, expires_at) VALUES ($1, $2, 'admin', now() + interval '1 day') RETURNING id",
        [c.list, randomBytes(32)],
      ],
    },
  },
  {
    name: 'PATCH /api/lists/{id}/members/{viewer} to admin',
    expected: from('owner', 200),
    request: (f, a) =>
      api.json('PATCH', `/api/lists/${f.list}/members/${people.target.id}`, a, { role: 'admin' }),
    sql: {
      probe: readList,
      act: (c) => [
        "UPDATE list_members SET role = 'admin' WHERE list_id = $1 AND user_id = $2 RETURNING user_id",
        [c.list, c.target],
      ],
    },
  },
  {
    name: 'DELETE /api/lists/{id}',
    expected: from('owner', 204),
    request: (f, a) => api.json('DELETE', `/api/lists/${f.list}`, a),
    sql: {
      probe: readList,
      act: (c) => ['DELETE FROM lists WHERE id = $1 RETURNING id', [c.list]],
    },
  },
  {
    name: 'DELETE /api/lists/{id}/members/{own id} (leave)',
    expected: { viewer: 204, editor: 204, admin: 204, owner: 409 },
    request: (f, a) => api.json('DELETE', `/api/lists/${f.list}/members/${a.id}`, a),
    sql: {
      probe: readList,
      act: (c) => [
        'DELETE FROM list_members WHERE list_id = $1 AND user_id = $2 RETURNING user_id',
        [c.list, c.me],
      ],
    },
  },
];

const expectedStatus = (operation: Operation, actor: Actor) =>
  actor === 'stranger' ? 404 : operation.expected[actor];

const refusalCode = (status: number, operation: Operation) =>
  status === 404
    ? undefined
    : status === 403
      ? 'insufficient_role'
      : operation.name.includes('leave')
        ? 'owner_cannot_leave'
        : undefined;

describe('the role table through the API', () => {
  for (const operation of operations) {
    describe(operation.name, () => {
      for (const actor of actors) {
        const status = expectedStatus(operation, actor);
        it(`${actor}: ${status}${status >= 400 ? ', and nothing changes' : ''}`, async () => {
          const f = await fixture();
          const before = await snapshot(f.list);
          const response = await operation.request(f, people[actor]);
          if (status < 400) {
            const text = await response.text();
            expect(response.status, text).toBe(status);
          } else {
            await expectProblem(response, status, refusalCode(status, operation));
            expect(await snapshot(f.list)).toEqual(before);
          }
        });
      }
    });
  }
});

type Outcome = 'hidden' | 'refused' | 'allowed';
const outcomeOf = (status: number): Outcome =>
  status === 404 ? 'hidden' : status >= 400 ? 'refused' : 'allowed';

/** Runs one statement as the runtime role, as `user`, in a transaction that is rolled back. */
async function asRuntime(user: string, fn: (tx: Queryable) => Promise<Outcome>): Promise<Outcome> {
  return api.db.withSession(async (session) => {
    await session.exec('BEGIN');
    try {
      await session.query("SELECT set_config('app.user_id', $1, true)", [user]);
      return await fn(session);
    } finally {
      await session.exec('ROLLBACK');
    }
  });
}

describe('the same table as SQL under row-level security alone', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });

  for (const operation of operations) {
    it(`${operation.name}: row-level security gives every role the API's answer`, async () => {
      const outcomes: Partial<Record<Actor, Outcome>> = {};
      for (const actor of actors) {
        const context: SqlContext = {
          ...f,
          me: people[actor].id,
          owner: people.owner.id,
          target: people.target.id,
        };
        outcomes[actor] = await asRuntime(context.me, async (tx) => {
          const [probe, probeParams] = operation.sql.probe(context);
          if ((await tx.query(probe, probeParams)).length === 0) return 'hidden';
          const [act, params] = operation.sql.act(context);
          await tx.exec('SAVEPOINT act');
          try {
            return (await tx.query(act, params)).length > 0 ? 'allowed' : 'refused';
          } catch (error) {
            // A row that row-level security does not let in (WITH CHECK): 42501.
            expect((error as { code?: string }).code).toBe('42501');
            await tx.exec('ROLLBACK TO SAVEPOINT act');
            return 'refused';
          }
        });
      }
      const expected = Object.fromEntries(
        actors.map((actor) => [actor, outcomeOf(expectedStatus(operation, actor))]),
      );
      expect(outcomes).toEqual(expected);
    });
  }

  it('ran as a role that row-level security binds', async () => {
    const [role] = await api.db.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
  });
});

describe('invitation tokens', () => {
  it('are kept only as their SHA-256 digest', async () => {
    const list = await ok<ListJson>(
      api.json('POST', '/api/lists', people.owner, { name: 'Digest' }),
      201,
    );
    const { id, token } = await invite(list.id, 'viewer');
    const rows = await api.database.db.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM list_invitations WHERE id = $1',
      [id],
    );
    expect(rows[0]!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    const text = JSON.stringify(
      await api.database.db.query('SELECT * FROM list_invitations WHERE id = $1', [id]),
    );
    expect(text).not.toContain(token);
  });
});
