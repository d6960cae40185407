// The API's types, taken from the server's own schemas. Every import here is type-only, so
// none of the server's code reaches the bundle; a change to a schema breaks this build.
import type { z } from '@hono/zod-openapi';
import type { ProfileSchema } from '../../../src/account/routes';
import type { Problem } from '../../../src/http/problem';
import type { SortKey, SortOrder } from '../../../src/tasks/list-query';
import type {
  TaskCreateSchema,
  TaskListQuerySchema,
  TaskPatchSchema,
} from '../../../src/tasks/schemas';
import type { Priority, TaskStatus } from '../../../src/tasks/task';
import type { TaskJson } from '../../../src/tasks/task-json';

export type { Priority, Problem, SortKey, SortOrder, TaskJson, TaskStatus };

/** POST /api/tasks body. */
export type TaskCreateInput = z.input<typeof TaskCreateSchema>;
/** PATCH /api/tasks/{id} body. */
export type TaskPatchInput = z.input<typeof TaskPatchSchema>;
/** GET /api/tasks query, as sent (before the server's coercions). */
export type TaskListQuery = z.input<typeof TaskListQuerySchema>;
/** GET /api/me. */
export type Profile = z.infer<typeof ProfileSchema>;
export type FieldError = NonNullable<Problem['errors']>[number];
