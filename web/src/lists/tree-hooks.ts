import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { announce } from '../announcements';
import { ApiError, listAllTasks, moveTask } from '../api/client';
import { queryKeys, refreshServerState } from '../api/query-cache';
import type { ListJson, TaskJson, TaskMoveInput } from '../api/types';
import { showNotice } from '../notices';
import { placeBeside, type Side, withoutSubtree } from './task-tree';

// A list's tasks, all of them, in manual order; and moves, shown at once and undone with a
// message if the server refuses.

export const useListTasks = (listId: number) =>
  useQuery({
    queryKey: queryKeys.tree(listId),
    queryFn: ({ signal }) => listAllTasks({ list_id: String(listId), sort: 'position' }, signal),
  });

export interface Move {
  task: TaskJson;
  /** POST /api/tasks/{id}/move body. */
  input: TaskMoveInput;
  /** The task's list, as it will be after the move. */
  apply: (tasks: TaskJson[]) => TaskJson[];
  /** What the live region says once the server agrees: "Moved “Milk” up, 1 of 3." */
  announcement: string;
}

/** Just before or after a sibling. */
export const moveBeside = (
  task: TaskJson,
  sibling: TaskJson,
  side: Side,
  announcement: string,
): Move => ({
  task,
  input: side === 'before' ? { before_id: sibling.id } : { after_id: sibling.id },
  apply: (tasks) => placeBeside(tasks, task.id, sibling.id, side),
  announcement,
});

/** To the end of another list, top-level, with its subtree. */
export const moveToList = (task: TaskJson, list: ListJson): Move => ({
  task,
  input: { list_id: list.id },
  apply: (tasks) => withoutSubtree(tasks, task.id),
  announcement: `Moved “${task.title}” to ${list.name}.`,
});

const moveKey = ['move'] as const;

export function useMoveTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationKey: moveKey,
    // One move after another: each was worked out from the list as the one before left it.
    scope: { id: 'task-moves' },
    mutationFn: ({ task, input }: Move) => moveTask(task.id, input),
    onMutate: async (move) => {
      const key = queryKeys.tree(move.task.list_id);
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<TaskJson[]>(key);
      if (before) queryClient.setQueryData(key, move.apply(before));
      return { key, before };
    },
    onError: (error, move, context) => {
      // Signed out: the cache was emptied for the next user; putting old tasks back would leak.
      if (error instanceof ApiError && error.status === 401) return;
      if (context?.before) queryClient.setQueryData(context.key, context.before);
      const why = error instanceof ApiError ? ` ${error.userMessage}` : '';
      showNotice(`Could not move “${move.task.title}”.${why} It is back where it was.`);
    },
    onSuccess: (_saved, move) => announce(move.announcement),
    onSettled: async () => {
      // Refetching while a later move is still on its way would show the list without it.
      if (queryClient.isMutating({ mutationKey: moveKey }) <= 1) {
        await refreshServerState(queryClient);
      }
    },
  });
}
