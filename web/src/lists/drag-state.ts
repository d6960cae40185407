import type { TaskJson } from '../api/types';

// The task being dragged. HTML drag and drop keeps the dragged data from everyone until the
// drop, but a target must decide while the pointer is over it whether it takes the task (a
// sibling's row, another list in the sidebar).

let dragged: TaskJson | null = null;

export const draggedTask = () => dragged;

export function startDrag(task: TaskJson): void {
  dragged = task;
}

export function endDrag(): void {
  dragged = null;
}
