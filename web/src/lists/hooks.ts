import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createList, deleteList, listLists, patchList } from '../api/client';
import { queryKeys, refreshServerState } from '../api/query-cache';
import type { ListCreateInput, ListJson, ListPatchInput } from '../api/types';

// The caller's lists: the sidebar's query, and creating, changing and deleting one. These
// wait for the server (a list's form says what went wrong); only task changes are optimistic.

export const useLists = () =>
  useQuery({ queryKey: queryKeys.lists, queryFn: ({ signal }) => listLists(signal) });

export function useCreateList() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ListCreateInput) => createList(input),
    onSuccess: (created) => {
      // In the sidebar at once, so the page can show the new list before the refetch ends.
      queryClient.setQueryData<ListJson[]>(queryKeys.lists, (lists) => [
        ...(lists ?? []).filter((list) => list.id !== created.id),
        created,
      ]);
      return queryClient.invalidateQueries({ queryKey: queryKeys.lists });
    },
  });
}

export function useUpdateList(list: ListJson) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ListPatchInput) => patchList(list.id, list.version, input),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.lists }),
  });
}

export function useDeleteList(list: ListJson) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => deleteList(list.id, list.version),
    onSuccess: () => {
      queryClient.setQueryData<ListJson[]>(queryKeys.lists, (lists) =>
        lists?.filter((l) => l.id !== list.id),
      );
      queryClient.removeQueries({ queryKey: queryKeys.tree(list.id) });
    },
    // Its tasks went with it: "All tasks" and the counts change too.
    onSettled: () => refreshServerState(queryClient),
  });
}
