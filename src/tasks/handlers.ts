import { createHash } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { fail } from '../errors.js';
import { conditionalWriter, etagOf } from '../http/conditional.js';
import type { AppEnv } from '../http/context.js';
import { idPage } from '../http/id-pages.js';
import { normaliseRecurrence } from '../recurrence/rule.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { defaultOrder, type ListQuery, type ListSelection } from './list-query.js';
import type { TaskRepository } from './repository.js';
import { type TaskBase, taskRoutes } from './routes.js';
import type { TaskCreateBody, TaskListQueryInput, TaskMoveBody, TaskPatchBody } from './schemas.js';
import { type Task, type TaskFields, type TaskPlacement, taskDefaults } from './task.js';
import { taskToJson } from './task-json.js';

// Handlers turn a validated request into repository calls and the repository's answer into
// JSON and headers. The user id always comes from the auth middleware.

export function registerTaskHandlers(
  app: OpenAPIHono<AppEnv>,
  base: TaskBase,
  tasks: TaskRepository,
): void {
  const routes = taskRoutes(base);
  const withEtag = (task: Task) => ({ ETag: etagOf(task.version) });
  /** A write to one task of the caller's under the request's If-Match. */
  const writeTask = conditionalWriter({
    currentVersion: async (userId, id) => (await tasks.get(userId, id))?.version,
    notFound: fail.taskNotFound,
  });

  app.openapi(routes.list, async (c) => {
    const { list, selection } = toListQuery(c.req.valid('query'));
    const page = await tasks.list(c.get('user').id, list);
    if (page.next) {
      const cursor = encodeCursor(selection, page.next);
      const url = new URL(c.req.url);
      url.searchParams.set('cursor', cursor);
      c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
      c.header('X-Next-Cursor', cursor);
    }
    return c.json(page.tasks.map(taskToJson), 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const fields = completeFields(body);
    const placement = placementOf(body);
    const key = c.req.valid('header')['idempotency-key'];
    const task = await tasks.create(
      c.get('user').id,
      fields,
      key === undefined ? undefined : { key, fingerprint: requestFingerprint(fields, placement) },
      placement,
    );
    const path = new URL(c.req.url).pathname.replace(/\/$/, '');
    c.header('Location', `${path}/${task.id}`);
    return c.json(taskToJson(task), 201, withEtag(task));
  });

  app.openapi(routes.get, async (c) => {
    const task = await tasks.get(c.get('user').id, c.req.valid('param').id);
    if (!task) throw fail.taskNotFound();
    return c.json(taskToJson(task), 200, withEtag(task));
  });

  app.openapi(routes.replace, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const fields = completeFields(body);
    const task = await writeTask(userId, id, c.req.valid('header')['if-match'], (version) =>
      tasks.update(userId, id, fields, version, placementOf(body)),
    );
    return c.json(taskToJson(task), 200, withEtag(task));
  });

  app.openapi(routes.patch, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const changes = writableFields(body);
    const task = await writeTask(userId, id, c.req.valid('header')['if-match'], (version) =>
      tasks.update(userId, id, changes, version, placementOf(body)),
    );
    return c.json(taskToJson(task), 200, withEtag(task));
  });

  app.openapi(routes.toggle, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    const task = await writeTask(userId, id, c.req.valid('header')['if-match'], (version) =>
      tasks.toggle(userId, id, version),
    );
    return c.json(taskToJson(task), 200, withEtag(task));
  });

  app.openapi(routes.skip, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    const task = await writeTask(userId, id, c.req.valid('header')['if-match'], (version) =>
      tasks.skip(userId, id, version),
    );
    return c.json(taskToJson(task), 200, withEtag(task));
  });

  app.openapi(routes.completions, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await tasks.completions(
      c.get('user').id,
      c.req.valid('param').id,
      limit + 1,
      cursor,
    );
    const page = idPage(c, rows, limit);
    return c.json(
      page.map((completion) => ({
        due_date: completion.dueDate.toISOString(),
        completed_at: completion.completedAt.toISOString(),
      })),
      200,
    );
  });

  app.openapi(routes.move, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    const move = moveOf(c.req.valid('json'));
    const task = await writeTask(userId, id, c.req.valid('header')['if-match'], (version) =>
      tasks.move(userId, id, move, version),
    );
    return c.json(taskToJson(task), 200, withEtag(task));
  });

  app.openapi(routes.remove, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    await writeTask(userId, id, c.req.valid('header')['if-match'], async (version) =>
      (await tasks.delete(userId, id, version)) ? true : undefined,
    );
    return c.body(null, 204);
  });
}

/** A create or replace body as a whole task: omitted fields take their defaults. */
function completeFields(body: TaskCreateBody): TaskFields {
  return { ...taskDefaults, ...writableFields(body), title: body.title };
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
  if (body.assignee_id !== undefined) fields.assigneeId = body.assignee_id;
  if (body.recurrence !== undefined) fields.recurrence = normalisedRule(body);
  if (body.recurrence_mode !== undefined) fields.recurrenceMode = body.recurrence_mode;
  if (body.reminders !== undefined) fields.reminders = body.reminders;
  return fields;
}

/** The rule as stored: the schema has checked it, this writes it the one way. */
function normalisedRule(body: Partial<TaskCreateBody> | TaskPatchBody): string | null {
  if (body.recurrence === null || body.recurrence === undefined) return null;
  return normaliseRecurrence(body.recurrence, body.recurrence_mode ?? 'fixed');
}

/** The list and parent a body names; absent ones leave the task where it is. */
function placementOf(body: Partial<TaskCreateBody> | TaskPatchBody): TaskPlacement {
  return {
    ...(body.list_id === undefined ? {} : { listId: body.list_id }),
    ...(body.parent_id === undefined ? {} : { parentId: body.parent_id }),
  };
}

function moveOf(body: TaskMoveBody) {
  return {
    ...placementOf(body),
    ...(body.before_id === undefined ? {} : { beforeId: body.before_id }),
    ...(body.after_id === undefined ? {} : { afterId: body.after_id }),
  };
}

function toListQuery(query: TaskListQueryInput): { list: ListQuery; selection: ListSelection } {
  const selection: ListSelection = {
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
      listId: query.list_id,
      parentId: query.parent_id,
      assignedToMe: query.assignee === 'me' ? true : undefined,
    },
  };
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, selection);
  return { list: { ...selection, limit: query.limit, after }, selection };
}

/**
 * What an Idempotency-Key is bound to: the same normalised fields give the same value,
 * whatever the key order or spelling of the body.
 */
function requestFingerprint(fields: TaskFields, placement: TaskPlacement): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        fields.title,
        fields.description,
        fields.status,
        fields.priority,
        fields.tags,
        fields.dueDate?.toISOString() ?? null,
        // Only when present: a key stored before lists existed keeps its fingerprint.
        ...(placement.listId === undefined && placement.parentId === undefined
          ? []
          : [placement.listId ?? null, placement.parentId ?? null]),
        // Likewise the assignee, which came with sharing, and what came with recurrence.
        ...(fields.assigneeId === null ? [] : [{ assignee: fields.assigneeId }]),
        ...(fields.recurrence === null && fields.reminders.length === 0
          ? []
          : [
              {
                recurrence: fields.recurrence,
                mode: fields.recurrenceMode,
                reminders: fields.reminders,
              },
            ]),
      ]),
    )
    .digest('base64url');
}
