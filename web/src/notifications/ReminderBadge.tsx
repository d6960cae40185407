import type { Reminder } from '../api/types';
import { BellIcon } from './icons';
import { describeReminder } from './reminder-choices';

/** A bell and how many reminders; the list of them in its tooltip and for screen readers. */
export function ReminderBadge({ reminders }: { reminders: readonly Reminder[] }) {
  if (reminders.length === 0) return null;
  const list = reminders.map((reminder) => describeReminder(reminder)).join('; ');
  return (
    <span className="badge reminders" title={`Reminders: ${list}`}>
      <BellIcon size={13} />
      <span aria-hidden="true">
        {reminders.length === 1 ? list : `${reminders.length} reminders`}
      </span>
      <span className="visually-hidden">
        {reminders.length === 1 ? 'Reminder' : 'Reminders'}: {list}
      </span>
    </span>
  );
}
