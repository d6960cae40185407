import type { NESTING_MAX } from '../../../src/tasks/task';
import type { TaskJson } from '../api/types';

// A list's tasks come flat, in manual order (sort=position), so siblings already stand in the
// order they are shown; the tree is rebuilt from parent_id. A move is applied to that flat
// array the way the server will apply it, so the page shows it before the answer comes.

/** A top-level task and four levels below it. */
export const MAX_DEPTH: typeof NESTING_MAX = 5;

export interface TaskNode {
  task: TaskJson;
  /** 1 for a top-level task. */
  depth: number;
  children: TaskNode[];
}

export function buildTree(tasks: readonly TaskJson[]): TaskNode[] {
  const present = new Set(tasks.map((task) => task.id));
  const childrenOf = new Map<number | null, TaskJson[]>();
  for (const task of tasks) {
    // A parent missing from the array (it cannot be, but a page may be mid-refresh) would
    // hide the task: show it at the top instead.
    const parent = task.parent_id !== null && present.has(task.parent_id) ? task.parent_id : null;
    const siblings = childrenOf.get(parent);
    if (siblings) siblings.push(task);
    else childrenOf.set(parent, [task]);
  }
  const grow = (parent: number | null, depth: number): TaskNode[] =>
    (childrenOf.get(parent) ?? []).map((task) => ({
      task,
      depth,
      children: grow(task.id, depth + 1),
    }));
  return grow(null, 1);
}

export type Side = 'before' | 'after';

/** The array with task `id` just before or after `targetId`, as the target's sibling. */
export function placeBeside(
  tasks: readonly TaskJson[],
  id: number,
  targetId: number,
  side: Side,
): TaskJson[] {
  const moving = tasks.find((task) => task.id === id);
  const target = tasks.find((task) => task.id === targetId);
  if (!moving || !target || moving === target) return [...tasks];
  const rest = tasks.filter((task) => task !== moving);
  const at = rest.indexOf(target) + (side === 'after' ? 1 : 0);
  return [...rest.slice(0, at), { ...moving, parent_id: target.parent_id }, ...rest.slice(at)];
}

/** The array without task `id` and everything below it: they moved to another list. */
export function withoutSubtree(tasks: readonly TaskJson[], id: number): TaskJson[] {
  const gone = new Set([id]);
  // Parents may come after their children in manual order: repeat until nothing is added.
  let grew = true;
  while (grew) {
    grew = false;
    for (const task of tasks) {
      if (task.parent_id !== null && gone.has(task.parent_id) && !gone.has(task.id)) {
        gone.add(task.id);
        grew = true;
      }
    }
  }
  return tasks.filter((task) => !gone.has(task.id));
}
