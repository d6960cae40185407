import { createHash } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { fail } from '../errors.js';
import { etagOf, parseIfMatch } from '../http/conditional.js';
import type { AppEnv } from '../http/context.js';
import { decodeCursor, defaultOrder, encodeCursor, type ListQuery } from './list-query.js';
import type { TaskRepository } from './repository.js';
import { type TaskBase, taskRoutes } from './routes.js';
import type { TaskCreateBody, TaskListQueryInput, TaskPatchBody } from './schemas.js';
import { type TaskFields, taskDefaults } from './task.js';
import { taskToJson } from './task-json.js';

// Handlers turn a validated request into repository calls and the repository's answer into
// JSON and headers. The user id always comes from the auth middleware.

type Ctx = Context<AppEnv>;
const userId = (c: Ctx) => c.get('user').id;
/** The validated {id} path parameter (the same for both path families). */
const taskId = (c: Ctx) => (c.req.valid as (t: 'param') => { id: number })('param').id;

export function registerTaskHandlers(
  app: OpenAPIHono<AppEnv>,
  base: TaskBase,
  tasks: TaskRepository,
): void {
  const routes = taskRoutes(base);

  app.openapi(routes.list, async (c) => {
    const query = c.req.valid('query');
    const { list, cursorBase } = toListQuery(query);
    const page = await tasks.list(userId(c), list);
    if (page.next) {
      const cursor = encodeCursor(cursorBase, page.next);
      const url = new URL(c.req.url);
      url.searchParams.set('cursor', cursor);
      c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
      c.header('X-Next-Cursor', cursor);
    }
    return c.json(page.tasks.map(taskToJson), 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const key = idempotencyKey(c.req.header('idempotency-key'));
    const fields = { ...taskDefaults, ...writableFields(body), title: body.title };
    const task = await tasks.create(
      userId(c),
      fields,
      key === undefined ? undefined : { key, fingerprint: fingerprintOf(fields) },
    );
    const path = new URL(c.req.url).pathname.replace(/\/$/, '');
    c.header('Location', `${path}/${task.id}`);
    return c.json(taskToJson(task), 201, { ETag: etagOf(task.version) });
  });

  app.openapi(routes.get, async (c) => {
    const task = await tasks.get(userId(c), taskId(c));
    if (!task) throw fail.taskNotFound();
    return c.json(taskToJson(task), 200, { ETag: etagOf(task.version) });
  });

  app.openapi(routes.replace, async (c) => {
    const body = c.req.valid('json');
    const fields: TaskFields = { ...taskDefaults, ...writableFields(body), title: body.title };
    const task = await conditionally(c, tasks, (version) =>
      tasks.update(userId(c), taskId(c), fields, version),
    );
    return c.json(taskToJson(task), 200, { ETag: etagOf(task.version) });
  });

  app.openapi(routes.patch, async (c) => {
    const changes = writableFields(c.req.valid('json'));
    const task = await conditionally(c, tasks, (version) =>
      Object.keys(changes).length === 0
        ? tasks.get(userId(c), taskId(c)).then((t) => {
            // An empty patch changes nothing, but If-Match still has to hold.
            if (t && version !== undefined && t.version !== version) throw fail.versionMismatch();
            return t;
          })
        : tasks.update(userId(c), taskId(c), changes, version),
    );
    return c.json(taskToJson(task), 200, { ETag: etagOf(task.version) });
  });

  app.openapi(routes.toggle, async (c) => {
    const task = await conditionally(c, tasks, (version) =>
      tasks.toggle(userId(c), taskId(c), version),
    );
    return c.json(taskToJson(task), 200, { ETag: etagOf(task.version) });
  });

  app.openapi(routes.remove, async (c) => {
    await conditionally(c, tasks, async (version) =>
      (await tasks.delete(userId(c), taskId(c), version)) ? true : undefined,
    );
    return c.body(null, 204);
  });
}

/**
 * Runs a write under the request's If-Match: none → unconditional; "*" → the task must
 * exist; a list of versions → the write happens only at one of them (412 otherwise).
 */
async function conditionally<T>(
  c: Ctx,
  tasks: TaskRepository,
  write: (version?: number) => Promise<T | undefined>,
): Promise<T> {
  const precondition = parseIfMatch(c.req.header('if-match'));
  let result: T | undefined;
  if (precondition.kind === 'none' || precondition.kind === 'any') {
    result = await write();
  } else {
    let version = precondition.versions.length === 1 ? precondition.versions[0] : undefined;
    if (version === undefined) {
      // Zero or several tags: compare with the current version, then write at exactly that one.
      const current = await tasks.get(userId(c), taskId(c));
      if (!current) throw fail.taskNotFound();
      if (!precondition.versions.includes(current.version)) {
        throw fail.versionMismatch();
      }
      version = current.version;
    }
    result = await write(version);
  }
  if (result === undefined) throw fail.taskNotFound();
  return result;
}

/** The writable fields present in a body; `completed` becomes a status. */
function writableFields(body: Partial<TaskCreateBody> | TaskPatchBody): Partial<TaskFields> {
  const fields: Partial<TaskFields> = {};
  if (body.title !== undefined) fields.title = body.title;
  if (body.description !== undefined) fields.description = body.description;
  if (body.status !== undefined) fields.status = body.status;
  else if (body.completed !== undefined) fields.status = body.completed ? 'completed' : 'pending';
  if (body.priority !== undefined) fields.priority = body.priority;
  if (body.tags !== undefined) fields.tags = body.tags;
  if (body.due_date !== undefined) fields.dueDate = body.due_date;
  return fields;
}

function toListQuery(query: TaskListQueryInput): {
  list: ListQuery;
  cursorBase: Omit<ListQuery, 'limit' | 'after'>;
} {
  const cursorBase = {
    sort: query.sort,
    order: query.order ?? defaultOrder(query.sort),
    filters: {
      completed: query.completed,
      status: query.status,
      priority: query.priority,
      tags: query.tag,
      q: query.q,
      dueBefore: query.due_before,
      dueAfter: query.due_after,
    },
  };
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, cursorBase);
  return { list: { ...cursorBase, limit: query.limit, after }, cursorBase };
}

function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw fail.badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters.');
  }
  return header;
}

/** Same normalised fields → same fingerprint, whatever the key order or spelling of the body. */
function fingerprintOf(fields: TaskFields): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        fields.title,
        fields.description,
        fields.status,
        fields.priority,
        fields.tags,
        fields.dueDate?.toISOString() ?? null,
      ]),
    )
    .digest('base64url');
}
