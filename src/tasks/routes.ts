import { createRoute, z } from '@hono/zod-openapi';
import { IdPageQuerySchema, idPageHeaders } from '../http/id-pages.js';
import {
  etagHeader,
  ifMatchHeader,
  jsonContent,
  problemResponses,
  signedIn,
} from '../http/openapi-responses.js';
import {
  CompletionSchema,
  TaskCreateSchema,
  TaskIdParamSchema,
  TaskListQuerySchema,
  TaskMoveSchema,
  TaskPatchSchema,
  TaskReplaceSchema,
  TaskSchema,
  UserIdParamSchema,
} from './schemas.js';

// The task API's contracts. Each route exists twice: /api/tasks… and the original front
// end's /api/{user_id}/tasks… (403 when {user_id} is not the caller).

export const taskBases = ['/api/tasks', '/api/{user_id}/tasks'] as const;
export type TaskBase = (typeof taskBases)[number];

const ifMatch = ifMatchHeader('task');

export function taskRoutes(base: TaskBase) {
  const byUser = base !== '/api/tasks';
  const tags = [byUser ? 'Tasks (by user path)' : 'Tasks'];
  const pathParams = byUser ? UserIdParamSchema : z.object({});
  const taskParams = byUser ? TaskIdParamSchema.extend(UserIdParamSchema.shape) : TaskIdParamSchema;
  const extra = byUser ? [403] : [];
  const one = `${base}/{id}`;
  return {
    list: createRoute({
      method: 'get',
      path: base,
      tags,
      security: signedIn,
      summary: "List the caller's tasks",
      description: 'Keyset pagination: follow Link rel="next" or pass X-Next-Cursor as cursor.',
      request: { params: pathParams, query: TaskListQuerySchema },
      responses: {
        200: {
          ...jsonContent(z.array(TaskSchema), 'A page of tasks'),
          headers: {
            Link: {
              description: '<…>; rel="next" when there is a next page',
              schema: { type: 'string' },
            },
            'X-Next-Cursor': { description: 'Cursor of the next page', schema: { type: 'string' } },
          },
        },
        ...problemResponses(400, ...extra),
      },
    }),
    create: createRoute({
      method: 'post',
      path: base,
      tags,
      security: signedIn,
      summary: 'Create a task',
      request: {
        params: pathParams,
        headers: z.object({
          'idempotency-key': z
            .string()
            .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
            .optional()
            .openapi({
              description:
                'A retry with the same key and body returns the original response; 1 to 255 visible ASCII characters',
            }),
        }),
        body: { ...jsonContent(TaskCreateSchema, 'The new task'), required: true },
      },
      responses: {
        201: {
          ...jsonContent(TaskSchema, 'Created'),
          headers: {
            ...etagHeader,
            Location: { description: 'URL of the task', schema: { type: 'string' } },
          },
        },
        ...problemResponses(400, 413, 415, 422, ...extra),
      },
    }),
    get: createRoute({
      method: 'get',
      path: one,
      tags,
      security: signedIn,
      summary: 'Get one task',
      request: { params: taskParams },
      responses: {
        200: { ...jsonContent(TaskSchema, 'The task'), headers: etagHeader },
        ...problemResponses(400, 404, ...extra),
      },
    }),
    replace: createRoute({
      method: 'put',
      path: one,
      tags,
      security: signedIn,
      summary: 'Replace the writable fields (omitted ones reset to defaults)',
      request: {
        params: taskParams,
        headers: ifMatch,
        body: { ...jsonContent(TaskReplaceSchema, 'The task'), required: true },
      },
      responses: {
        200: { ...jsonContent(TaskSchema, 'The task'), headers: etagHeader },
        ...problemResponses(400, 404, 412, 413, 415, 422, ...extra),
      },
    }),
    patch: createRoute({
      method: 'patch',
      path: one,
      tags,
      security: signedIn,
      summary: 'Change some fields',
      request: {
        params: taskParams,
        headers: ifMatch,
        body: { ...jsonContent(TaskPatchSchema, 'Fields to change'), required: true },
      },
      responses: {
        200: { ...jsonContent(TaskSchema, 'The task'), headers: etagHeader },
        ...problemResponses(400, 404, 412, 413, 415, 422, ...extra),
      },
    }),
    remove: createRoute({
      method: 'delete',
      path: one,
      tags,
      security: signedIn,
      summary: 'Delete a task',
      request: { params: taskParams, headers: ifMatch },
      responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 404, 412, ...extra) },
    }),
    toggle: createRoute({
      method: 'patch',
      path: `${one}/complete`,
      tags,
      security: signedIn,
      summary: 'Toggle completed ↔ pending',
      request: { params: taskParams, headers: ifMatch },
      responses: {
        200: { ...jsonContent(TaskSchema, 'The task'), headers: etagHeader },
        ...problemResponses(400, 404, 412, ...extra),
      },
    }),
    skip: createRoute({
      method: 'post',
      path: `${one}/skip`,
      tags,
      security: signedIn,
      summary: 'Skip to the next occurrence of a recurring task',
      description:
        'Moves the due date to the next occurrence without recording a completion. 422 not_recurring for a task without a rule, 409 no_next_occurrence when COUNT or UNTIL leaves none.',
      request: { params: taskParams, headers: ifMatch },
      responses: {
        200: { ...jsonContent(TaskSchema, 'The task at its next occurrence'), headers: etagHeader },
        ...problemResponses(400, 404, 409, 412, 422, ...extra),
      },
    }),
    completions: createRoute({
      method: 'get',
      path: `${one}/completions`,
      tags,
      security: signedIn,
      summary: "A recurring task's completed occurrences, newest first",
      description:
        'One entry per completed occurrence, the last one of a finished series included; skipped occurrences have none. Keyset pagination as for tasks.',
      request: { params: taskParams, query: IdPageQuerySchema },
      responses: {
        200: {
          ...jsonContent(z.array(CompletionSchema), 'A page of completions'),
          headers: idPageHeaders,
        },
        ...problemResponses(400, 404, ...extra),
      },
    }),
    move: createRoute({
      method: 'post',
      path: `${one}/move`,
      tags,
      security: signedIn,
      summary: 'Move a task (and its subtasks) to another list, parent or place',
      description:
        "before_id / after_id: stand just before / after that sibling (its parent and list become the task's); parent_id: null makes it top-level; only list_id: top-level at the end of that list. One write, whatever the list's size.",
      request: {
        params: taskParams,
        headers: ifMatch,
        body: { ...jsonContent(TaskMoveSchema, 'Where it goes'), required: true },
      },
      responses: {
        200: { ...jsonContent(TaskSchema, 'The task where it now stands'), headers: etagHeader },
        ...problemResponses(400, 404, 412, 413, 415, 422, ...extra),
      },
    }),
  };
}
