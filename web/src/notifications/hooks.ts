import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
  type NotificationPage,
} from '../api/client';

// Reminders that fired: the unread ones (for the bell's count, asked for every few seconds
// while the page is in view) and the latest ones (for the panel, while it is open).

const POLL_MS = 5_000;
/** More unread than this shows as "50+". */
export const UNREAD_LIMIT = 50;

export const notificationKeys = {
  all: ['notifications'] as const,
  unread: ['notifications', 'unread'] as const,
  latest: ['notifications', 'latest'] as const,
};

export const useUnreadNotifications = () =>
  useQuery({
    queryKey: notificationKeys.unread,
    queryFn: ({ signal }) => listNotifications({ unread: true, limit: UNREAD_LIMIT }, signal),
    // TanStack Query pauses the interval while the page is hidden, and asks again on focus.
    refetchInterval: POLL_MS,
    refetchOnWindowFocus: 'always',
    staleTime: 0,
  });

export const useLatestNotifications = (enabled: boolean) =>
  useQuery({
    queryKey: notificationKeys.latest,
    queryFn: ({ signal }) => listNotifications({ limit: 20 }, signal),
    enabled,
    refetchInterval: enabled ? POLL_MS : false,
    staleTime: 0,
  });

/** Marks the cached copies read at once; the next poll confirms. */
function markCachedRead(queryClient: QueryClient, id: number | 'all') {
  const update = (page: NotificationPage | undefined) =>
    page && {
      ...page,
      notifications: page.notifications.map((n) =>
        id === 'all' || n.id === id ? { ...n, read: true } : n,
      ),
    };
  queryClient.setQueryData<NotificationPage>(notificationKeys.latest, update);
  queryClient.setQueryData<NotificationPage>(
    notificationKeys.unread,
    (page) =>
      page && {
        ...page,
        notifications: page.notifications.filter((n) => id !== 'all' && n.id !== id),
      },
  );
}

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markNotificationRead,
    onMutate: async (id) => {
      // A poll on its way would put the old state back.
      await queryClient.cancelQueries({ queryKey: notificationKeys.all });
      markCachedRead(queryClient, id);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationKeys.all }),
  });
}

export function useMarkAllRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markAllNotificationsRead,
    onMutate: async () => {
      await queryClient.cancelQueries({ queryKey: notificationKeys.all });
      markCachedRead(queryClient, 'all');
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationKeys.all }),
  });
}
