import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  acceptInvitation,
  createInvitation,
  getInvitation,
  listInvitations,
  listMembers,
  patchMember,
  removeMember,
  revokeInvitation,
} from '../api/client';
import { queryKeys, refreshServerState } from '../api/query-cache';
import type { InvitationCreateInput, ListJson, MemberRole } from '../api/types';
import { accessChanged } from './access-messages';

// Server state of sharing: a list's members (also who a task can be assigned to, so cached
// per list for every task row that names an assignee), its pending links, and accepting one.

/** Members change rarely; the tasks of a list ask for them once, not once a row. */
const MEMBERS_STALE_MS = 60_000;

export const useMembers = (listId: number, enabled = true) =>
  useQuery({
    queryKey: queryKeys.members(listId),
    queryFn: ({ signal }) => listMembers(listId, signal),
    enabled,
    staleTime: MEMBERS_STALE_MS,
  });

export const useInvitations = (listId: number, enabled: boolean) =>
  useQuery({
    queryKey: queryKeys.invitations(listId),
    queryFn: ({ signal }) => listInvitations(listId, signal),
    enabled,
  });

/** After a refusal that means the caller's role or access changed, read their lists again. */
function refreshAfter(queryClient: QueryClient, error: unknown) {
  if (accessChanged(error)) void queryClient.invalidateQueries({ queryKey: queryKeys.lists });
}

/** Both change the list's pending links. */
function useInvitationChange<V, R>(listId: number, send: (variables: V) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onError: (error) => refreshAfter(queryClient, error),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.invitations(listId) }),
  });
}

export const useCreateInvitation = (listId: number) =>
  useInvitationChange(listId, (input: InvitationCreateInput) => createInvitation(listId, input));

export const useRevokeInvitation = (listId: number) =>
  useInvitationChange(listId, (invitationId: number) => revokeInvitation(listId, invitationId));

/** Both change who is in the list, so its member count in the sidebar too. */
function useMemberChange<V>(listId: number, send: (variables: V) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onError: (error) => refreshAfter(queryClient, error),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.members(listId) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.lists }),
      ]),
  });
}

export const useChangeRole = (listId: number) =>
  useMemberChange(listId, ({ userId, role }: { userId: string; role: MemberRole }) =>
    patchMember(listId, userId, { role }),
  );

export const useRemoveMember = (listId: number) =>
  useMemberChange(listId, (userId: string) => removeMember(listId, userId));

/** Leaves the list: it and its tasks go from every cached view at once. */
export function useLeaveList(list: ListJson) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ownId: string) => removeMember(list.id, ownId),
    onSuccess: () => {
      queryClient.setQueryData<ListJson[]>(queryKeys.lists, (lists) =>
        lists?.filter((l) => l.id !== list.id),
      );
      queryClient.removeQueries({ queryKey: queryKeys.tree(list.id) });
      queryClient.removeQueries({ queryKey: queryKeys.members(list.id) });
    },
    onSettled: () => refreshServerState(queryClient),
  });
}

export const useInvitationPreview = (token: string) =>
  useQuery({
    queryKey: queryKeys.invitation(token),
    queryFn: ({ signal }) => getInvitation(token, signal),
  });

export function useAcceptInvitation(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => acceptInvitation(token),
    onSuccess: (list) => {
      // In the sidebar at once, so the list can open before the refetch ends.
      queryClient.setQueryData<ListJson[]>(queryKeys.lists, (lists) =>
        lists ? [...lists.filter((l) => l.id !== list.id), list] : lists,
      );
      void queryClient.invalidateQueries({ queryKey: queryKeys.members(list.id) });
      void refreshServerState(queryClient);
    },
  });
}
