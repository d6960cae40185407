import type { z } from '@hono/zod-openapi';
import { nextDueOf } from './recurrence.js';
import { storedReminder } from './reminders.js';
import type { TaskSchema } from './schemas.js';
import type { Task } from './task.js';

// A task as the API and the export write it: snake_case keys, UTC ISO 8601 times with Z,
// null where a value is absent.

/** Exactly the response schema's shape, so the document and the code cannot disagree. */
export type TaskJson = z.output<typeof TaskSchema>;

export function taskToJson(task: Task): TaskJson {
  return {
    id: task.id,
    user_id: task.userId,
    title: task.title,
    description: task.description,
    status: task.status,
    completed: task.completed,
    completed_at: task.completedAt?.toISOString() ?? null,
    priority: task.priority,
    tags: task.tags,
    due_date: task.dueDate?.toISOString() ?? null,
    list_id: task.listId,
    parent_id: task.parentId,
    position: task.position,
    subtasks: task.subtasks,
    created_by: task.createdBy,
    assignee_id: task.assigneeId,
    recurrence: task.recurrence,
    recurrence_mode: task.recurrenceMode,
    next_due_date: nextDueOf(task)?.toISOString() ?? null,
    reminders: task.reminders.map(storedReminder),
    version: task.version,
    created_at: task.createdAt.toISOString(),
    updated_at: task.updatedAt.toISOString(),
  };
}
