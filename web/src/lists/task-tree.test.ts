import { describe, expect, it } from 'vitest';
import type { TaskJson } from '../api/types';
import { buildTree, placeBeside, type TaskNode, withoutSubtree } from './task-tree';

// The tree of a list from its flat, manually ordered tasks, and moves applied to that array.

function task(id: number, parent_id: number | null = null): TaskJson {
  return {
    id,
    user_id: 'u1',
    title: `Task ${id}`,
    description: null,
    status: 'pending',
    completed: false,
    completed_at: null,
    priority: 'none',
    tags: [],
    due_date: null,
    version: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    list_id: 7,
    parent_id,
    position: `a${id}`,
    subtasks: { total: 0, completed: 0 },
    created_by: 'u1',
    assignee_id: null,
    recurrence: null,
    recurrence_mode: 'fixed',
    next_due_date: null,
    reminders: [],
  };
}

/** The tree as nested ids with depths: "1(2 3(4))". */
const shape = (nodes: TaskNode[]): string =>
  nodes
    .map((n) => `${n.task.id}@${n.depth}${n.children.length ? `(${shape(n.children)})` : ''}`)
    .join(' ');

const ids = (tasks: TaskJson[]) => tasks.map((t) => t.id);

describe('buildTree', () => {
  it('nests subtasks under their parents, siblings in the order of the array', () => {
    // Manual order is global: a child may come before its parent in the array.
    const tasks = [task(4, 3), task(1), task(3, 1), task(2, 1), task(5), task(6, 4)];
    expect(shape(buildTree(tasks))).toBe('1@1(3@2(4@3(6@4)) 2@2) 5@1');
  });

  it('shows a task whose parent is not in the array at the top instead of hiding it', () => {
    expect(shape(buildTree([task(1), task(2, 99)]))).toBe('1@1 2@1');
  });

  it('is empty for no tasks', () => {
    expect(buildTree([])).toEqual([]);
  });
});

describe('placeBeside', () => {
  const tasks = [task(1), task(2), task(3), task(4, 3)];

  it('puts a task just before a sibling', () => {
    expect(ids(placeBeside(tasks, 3, 1, 'before'))).toEqual([3, 1, 2, 4]);
  });

  it('puts a task just after a sibling', () => {
    expect(ids(placeBeside(tasks, 1, 2, 'after'))).toEqual([2, 1, 3, 4]);
    expect(shape(buildTree(placeBeside(tasks, 1, 3, 'after')))).toBe('2@1 3@1(4@2) 1@1');
  });

  it('gives the task the parent of its new sibling', () => {
    const moved = placeBeside(tasks, 2, 4, 'before');
    expect(moved.find((t) => t.id === 2)?.parent_id).toBe(3);
    expect(shape(buildTree(moved))).toBe('1@1 3@1(2@2 4@2)');
  });

  it('leaves the array as it was for an unknown task or a move beside itself', () => {
    expect(ids(placeBeside(tasks, 9, 1, 'before'))).toEqual([1, 2, 3, 4]);
    expect(ids(placeBeside(tasks, 1, 9, 'before'))).toEqual([1, 2, 3, 4]);
    expect(ids(placeBeside(tasks, 2, 2, 'after'))).toEqual([1, 2, 3, 4]);
  });
});

describe('withoutSubtree', () => {
  it('removes the task and everything below it, wherever they stand in the array', () => {
    const tasks = [task(5, 4), task(1), task(2, 1), task(3), task(4, 2), task(6, 3)];
    expect(ids(withoutSubtree(tasks, 1))).toEqual([3, 6]);
  });

  it('removes only the task when it has no subtasks', () => {
    expect(ids(withoutSubtree([task(1), task(2)], 2))).toEqual([1]);
  });
});
