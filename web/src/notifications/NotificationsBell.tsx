import { useEffect, useId, useRef, useState } from 'react';
import { announce } from '../announcements';
import { ApiError, getTask } from '../api/client';
import type { NotificationJson } from '../api/types';
import { listHref } from '../lists/list-address';
import { navigate } from '../navigation';
import { showNotice } from '../notices';
import { formatDue } from '../tasks/task-values';
import {
  UNREAD_LIMIT,
  useLatestNotifications,
  useMarkAllRead,
  useMarkRead,
  useUnreadNotifications,
} from './hooks';
import { BellIcon } from './icons';
import { relativeTime } from './relative-time';

/** The header's bell: how many reminders are unread, and a panel of the latest ones. */
export function NotificationsBell() {
  const [open, setOpen] = useState(false);
  const unread = useUnreadNotifications();
  const button = useRef<HTMLButtonElement>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  const panelId = useId();

  const count = unread.data?.notifications.length ?? 0;
  const more = unread.data?.nextCursor != null;
  const countText = more ? `${UNREAD_LIMIT}+` : String(count);
  useAnnounceNew(unread.data?.notifications);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  // A click or tap anywhere else closes the panel.
  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (event.target instanceof Node && !wrapper.current?.contains(event.target)) {
        setOpen(false);
      }
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  return (
    <div className="bell" ref={wrapper}>
      <button
        type="button"
        ref={button}
        className="icon-button bell-button"
        aria-label={count > 0 ? `Notifications, ${countText} unread` : 'Notifications'}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => setOpen((was) => !was)}
      >
        <BellIcon size={20} />
        {count > 0 && (
          <span className="bell-count" aria-hidden="true">
            {countText}
          </span>
        )}
      </button>
      {open && <NotificationsPanel id={panelId} onClose={close} />}
    </div>
  );
}

/** Says each reminder that fires while the page is open, once. */
function useAnnounceNew(notifications: readonly NotificationJson[] | undefined) {
  const seen = useRef<Set<number> | null>(null);
  useEffect(() => {
    if (!notifications) return;
    const fresh = seen.current ? notifications.filter((n) => !seen.current?.has(n.id)) : [];
    seen.current = new Set([...(seen.current ?? []), ...notifications.map((n) => n.id)]);
    if (fresh.length === 1) announce(`Reminder: ${fresh[0]!.title}`);
    else if (fresh.length > 1) announce(`${fresh.length} new reminders`);
  }, [notifications]);
}

interface PanelProps {
  id: string;
  /** Escape (focus back to the bell) or a notification followed (focus goes with the page). */
  onClose: (refocus: boolean) => void;
}

function NotificationsPanel({ id, onClose }: PanelProps) {
  const latest = useLatestNotifications(true);
  const markRead = useMarkRead();
  const markAll = useMarkAllRead();
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const notifications = latest.data?.notifications ?? [];
  const anyUnread = notifications.some((n) => !n.read);

  useEffect(() => heading.current?.focus(), []);

  async function follow(notification: NotificationJson) {
    if (!notification.read) markRead.mutate(notification.id);
    onClose(false);
    try {
      const task = await getTask(notification.task_id);
      navigate(listHref(task.list_id));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        showNotice(`“${notification.title}” was deleted, or you no longer have access to it.`);
      }
    }
  }

  return (
    <div
      id={id}
      className="notifications-panel"
      role="dialog"
      aria-labelledby={headingId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          onClose(true);
        }
      }}
    >
      <div className="notifications-head">
        <h2 id={headingId} ref={heading} tabIndex={-1}>
          Notifications
        </h2>
        {anyUnread && (
          <button
            type="button"
            className="link-button"
            aria-disabled={markAll.isPending || undefined}
            onClick={() => {
              if (!markAll.isPending) markAll.mutate();
            }}
          >
            Mark all read
          </button>
        )}
      </div>
      {latest.isPending ? (
        <p className="hint" role="status">
          Loading…
        </p>
      ) : latest.isError ? (
        <p className="error" role="alert">
          Could not load the notifications.{' '}
          {latest.error instanceof ApiError ? latest.error.userMessage : ''}
        </p>
      ) : notifications.length === 0 ? (
        <p className="hint">No reminders yet. Add one to a task, and it shows up here.</p>
      ) : (
        <ul className="notification-list">
          {notifications.map((notification) => (
            <li key={notification.id}>
              <NotificationRow notification={notification} onFollow={follow} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function NotificationRow({
  notification,
  onFollow,
}: {
  notification: NotificationJson;
  onFollow: (notification: NotificationJson) => void;
}) {
  const when = notification.fired_at;
  return (
    <button
      type="button"
      className={notification.read ? 'notification' : 'notification unread'}
      onClick={() => onFollow(notification)}
    >
      <span className="notification-title">
        {!notification.read && (
          <>
            <span className="unread-dot" aria-hidden="true" />
            <span className="visually-hidden">Unread: </span>
          </>
        )}
        {notification.title}
      </span>
      <span className="notification-detail">
        {notification.due_date && (
          <span>
            Due <time dateTime={notification.due_date}>{formatDue(notification.due_date)}</time>
          </span>
        )}
        {notification.late && <span className="badge late">Late</span>}
        <time dateTime={when}>{relativeTime(when)}</time>
      </span>
    </button>
  );
}
