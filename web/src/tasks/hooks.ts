import {
  type InfiniteData,
  keepPreviousData,
  type QueryClient,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import {
  ApiError,
  createTask,
  deleteTask,
  getProfile,
  getTask,
  type ListFilters,
  listTasks,
  newIdempotencyKey,
  patchTask,
  skipTask,
  type TaskPage,
  toggleTask,
} from '../api/client';
import { queryKeys, refreshServerState } from '../api/query-cache';
import type { TaskCreateInput, TaskJson, TaskPatchInput } from '../api/types';
import { showNotice } from '../notices';
import { NO_RIGHTS } from '../sharing/access-messages';

// Server state for the task screens. "All tasks" is an infinite query (one page per cursor),
// a list is one array of all its tasks; toggle, edit and delete change every cached copy of
// a task at once and put them back if the server refuses, saying why.

type TaskPages = InfiniteData<TaskPage, string | undefined>;

export function useTaskList(filters: ListFilters) {
  return useInfiniteQuery({
    queryKey: queryKeys.page(filters),
    queryFn: ({ pageParam, signal }) => listTasks(filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // While a new filter loads, keep showing the old list instead of a blank "loading".
    placeholderData: keepPreviousData,
  });
}

export const useProfile = () => useQuery({ queryKey: queryKeys.profile, queryFn: getProfile });

/** One key per submitted task: the mutation's retries send the same one. */
const createKeys = new WeakMap<TaskCreateInput, string>();

export function useCreateTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: TaskCreateInput) => {
      let key = createKeys.get(input);
      if (!key) {
        key = newIdempotencyKey();
        createKeys.set(input, key);
      }
      return createTask(input, key);
    },
    // A lost connection or a database outage (503) may pass; the key makes a retry safe.
    retry: (failures, error) =>
      failures < 2 &&
      error instanceof ApiError &&
      (error.code === 'network_error' || error.status === 503),
    // Not awaited: the form is free for the next task as soon as this one is stored, while
    // the lists and counts catch up.
    onSuccess: () => {
      void refreshServerState(queryClient);
    },
    // Refused for the caller's role or access in the list: what the page shows of it is old.
    onError: (error) => {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.lists });
      }
    },
  });
}

/** Changes one task (or removes it: null) in every cached page and tree. */
export function updateCachedTask(
  queryClient: QueryClient,
  id: number,
  change: (task: TaskJson) => TaskJson | null,
): void {
  const replace = (tasks: TaskJson[]) =>
    tasks.flatMap((task) => (task.id === id ? (change(task) ?? []) : [task]));
  queryClient.setQueriesData<TaskPages>({ queryKey: queryKeys.pages }, (data) =>
    data
      ? { ...data, pages: data.pages.map((page) => ({ ...page, tasks: replace(page.tasks) })) }
      : data,
  );
  queryClient.setQueriesData<TaskJson[]>({ queryKey: queryKeys.trees }, (tasks) =>
    tasks ? replace(tasks) : tasks,
  );
}

function cachedTask(queryClient: QueryClient, id: number): TaskJson | undefined {
  for (const [, data] of queryClient.getQueriesData<TaskPages>({ queryKey: queryKeys.pages })) {
    const task = data?.pages.flatMap((page) => page.tasks).find((t) => t.id === id);
    if (task) return task;
  }
  for (const [, tasks] of queryClient.getQueriesData<TaskJson[]>({ queryKey: queryKeys.trees })) {
    const task = tasks?.find((t) => t.id === id);
    if (task) return task;
  }
  return undefined;
}

interface OptimisticChange<V> {
  /** What the user did, for the failure message: "complete", "save", "delete". */
  verb: string;
  /** The task as the UI should show it at once; null removes it from the lists. */
  optimistic: (task: TaskJson, variables: V) => TaskJson | null;
  /** The request, made conditional on `version` (If-Match). Resolves to the server's task. */
  send: (version: number, variables: V) => Promise<TaskJson | null>;
}

/**
 * One optimistic change of one task. Changes of the same task run one after another
 * (mutation scope), and each sends If-Match with the version the UI holds when it is sent:
 * the server's answer to the previous change has updated it by then.
 */
function useOptimisticTaskChange<V>(task: TaskJson, change: OptimisticChange<V>) {
  const queryClient = useQueryClient();
  return useMutation({
    scope: { id: `task-${task.id}` },
    mutationFn: (variables: V) =>
      change.send(cachedTask(queryClient, task.id)?.version ?? task.version, variables),
    onMutate: async (variables) => {
      await queryClient.cancelQueries({ queryKey: queryKeys.tasks });
      const snapshot = queryClient.getQueriesData({ queryKey: queryKeys.tasks });
      updateCachedTask(queryClient, task.id, (current) => change.optimistic(current, variables));
      // The verb as the user meant it: the optimistic render after this has the other one.
      return { snapshot, verb: change.verb };
    },
    onError: async (error, _variables, context) => {
      // Signed out: the cache was emptied for the next user; putting old tasks back would leak.
      if (error instanceof ApiError && error.status === 401) return;
      for (const [key, data] of context?.snapshot ?? []) queryClient.setQueryData(key, data);
      const verb = context?.verb ?? change.verb;
      if (!(error instanceof ApiError)) {
        showNotice(`Could not ${verb} “${task.title}”. Your change was undone.`);
        return;
      }
      if (error.status === 412) {
        showNotice('This task was changed elsewhere; reloaded.');
        const fresh = await getTask(task.id).catch(() => null);
        if (fresh) updateCachedTask(queryClient, task.id, () => fresh);
      } else if (error.status === 404) {
        // Deleted elsewhere, or the caller was removed from a shared list.
        showNotice(
          `Could not ${verb} “${task.title}”: it was deleted, or you no longer have access to its list.`,
        );
        updateCachedTask(queryClient, task.id, () => null);
      } else if (error.code === 'insufficient_role') {
        showNotice(`Could not ${verb} “${task.title}”. ${NO_RIGHTS}`);
      } else {
        showNotice(
          `Could not ${verb} “${task.title}”: ${error.userMessage} Your change was undone.`,
        );
      }
    },
    onSuccess: (saved) => {
      if (saved) updateCachedTask(queryClient, task.id, () => saved);
    },
    onSettled: () => refreshServerState(queryClient),
  });
}

/** A recurring task, done or skipped, moves on to its next date and stays open. */
const movedOn = (task: TaskJson): TaskJson | undefined =>
  !task.completed && task.recurrence !== null && task.next_due_date !== null
    ? { ...task, due_date: task.next_due_date, next_due_date: null }
    : undefined;

export function useToggleTask(task: TaskJson) {
  return useOptimisticTaskChange<void>(task, {
    verb: task.completed ? 'reopen' : 'complete',
    optimistic: (current) => {
      const next = movedOn(current);
      if (next) return next;
      const completed = !current.completed;
      return {
        ...current,
        completed,
        status: completed ? 'completed' : 'pending',
        completed_at: completed ? new Date().toISOString() : null,
      };
    },
    send: (version) => toggleTask(task.id, version),
  });
}

export function useUpdateTask(task: TaskJson) {
  return useOptimisticTaskChange<TaskPatchInput>(task, {
    verb: 'save',
    optimistic: (current, changes) => {
      const status = changes.status ?? current.status;
      return {
        ...current,
        ...changes,
        title: changes.title?.trim() ?? current.title,
        status,
        completed: status === 'completed',
        tags: changes.tags ?? current.tags,
        description: changes.description === undefined ? current.description : changes.description,
        due_date: changes.due_date === undefined ? current.due_date : changes.due_date,
        // The ids the server gives, and where the rule goes next, come with its answer.
        reminders:
          changes.reminders?.map((reminder, i) => ({ ...reminder, id: `new-${i}` })) ??
          current.reminders,
        next_due_date:
          changes.recurrence === undefined && changes.due_date === undefined
            ? current.next_due_date
            : null,
      };
    },
    send: (version, changes) => patchTask(task.id, version, changes),
  });
}

/** A recurring task to its next date, without a completion. */
export function useSkipTask(task: TaskJson) {
  return useOptimisticTaskChange<void>(task, {
    verb: 'skip',
    optimistic: (current) => movedOn(current) ?? current,
    send: (version) => skipTask(task.id, version),
  });
}

export function useDeleteTask(task: TaskJson) {
  return useOptimisticTaskChange<void>(task, {
    verb: 'delete',
    optimistic: () => null,
    send: async (version) => {
      await deleteTask(task.id, version);
      return null;
    },
  });
}
