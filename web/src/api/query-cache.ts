import type { QueryClient } from '@tanstack/react-query';
import type { ListFilters } from './client';

// The keys of the cached server state. Everything under ['tasks'] holds task JSON: the
// filtered pages of "All tasks" and the whole tree of each list.

export const queryKeys = {
  tasks: ['tasks'] as const,
  pages: ['tasks', 'pages'] as const,
  page: (filters: ListFilters) => ['tasks', 'pages', filters] as const,
  trees: ['tasks', 'tree'] as const,
  tree: (listId: number) => ['tasks', 'tree', listId] as const,
  lists: ['lists'] as const,
  profile: ['me'] as const,
  members: (listId: number) => ['members', listId] as const,
  invitations: (listId: number) => ['invitations', listId] as const,
  invitation: (token: string) => ['invitation', token] as const,
};

/** After a write: a task change also changes the counts of its list and of the profile. */
export const refreshServerState = (queryClient: QueryClient) =>
  Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.tasks }),
    queryClient.invalidateQueries({ queryKey: queryKeys.lists }),
    queryClient.invalidateQueries({ queryKey: queryKeys.profile }),
  ]);
