import type { TaskJson } from '../api/types';
import { RepeatIcon } from '../notifications/icons';
import { describeRepeat } from './repeat-choices';

/** "Tue, Dec 1, 09:00": where the task goes next; a plain date (midnight UTC) without a time. */
export function formatNextDue(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const plainDate =
    date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0;
  const endOfDay = date.getHours() === 23 && date.getMinutes() === 59;
  const year = plainDate ? date.getUTCFullYear() : date.getFullYear();
  return date.toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(year === now.getFullYear() ? {} : { year: 'numeric' }),
    ...(plainDate ? { timeZone: 'UTC' } : {}),
    ...(plainDate || endOfDay ? {} : { hour: '2-digit', minute: '2-digit' }),
  });
}

/** The task's repeat in words, and its next date: badges for the task's meta line. */
export function repeatBadges(task: TaskJson) {
  if (task.recurrence === null) return [];
  const words = describeRepeat(task.recurrence, task.recurrence_mode);
  return [
    <span key="repeat" className="badge repeat" title={task.recurrence}>
      <RepeatIcon />
      <span className="visually-hidden">Repeats: </span>
      {words}
    </span>,
    task.next_due_date && !task.completed && (
      <span key="next" className="badge next">
        Next: <time dateTime={task.next_due_date}>{formatNextDue(task.next_due_date)}</time>
      </span>
    ),
  ];
}
