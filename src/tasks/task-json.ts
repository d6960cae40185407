import type { Priority, Task, TaskStatus } from './task.js';

// A task as the API and the export write it: snake_case keys, UTC ISO 8601 times with Z,
// null where a value is absent.

export interface TaskJson {
  id: number;
  user_id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  completed: boolean;
  completed_at: string | null;
  priority: Priority;
  tags: string[];
  due_date: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

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
    version: task.version,
    created_at: task.createdAt.toISOString(),
    updated_at: task.updatedAt.toISOString(),
  };
}
