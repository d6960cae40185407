import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import type { ReminderInput } from '../api/types';
import { BellIcon } from './icons';
import {
  describeReminder,
  REMINDERS_MAX,
  type ReminderChoice,
  reminderChoiceLabels,
  reminderChoices,
  reminderFor,
  sameReminder,
} from './reminder-choices';

interface Props {
  /** The form's id prefix. */
  id: string;
  reminders: readonly ReminderInput[];
  onChange: (reminders: ReminderInput[]) => void;
  /** Whether the task has a due date: reminders "before" need one. */
  hasDue: boolean;
  error?: string;
}

/** A task's reminders in its form: each with Remove, and "Add reminder" while there is room. */
export function ReminderFields({ id, reminders, onChange, hasDue, error }: Props) {
  const [adding, setAdding] = useState(false);
  const addButton = useRef<HTMLButtonElement>(null);
  const focusAdd = useRef(false);

  // A closed picker, or a removed reminder, gives focus to "Add reminder".
  const count = reminders.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the picker or the count changes
  useEffect(() => {
    if (!adding && focusAdd.current) addButton.current?.focus();
    focusAdd.current = false;
  }, [adding, count]);

  const close = () => {
    focusAdd.current = true;
    setAdding(false);
  };
  const needsDue = !hasDue && reminders.some((reminder) => 'before' in reminder);
  const message = needsDue ? 'A reminder before the due time needs a due date.' : error;
  const full = reminders.length >= REMINDERS_MAX;

  return (
    <fieldset
      className="reminders-field"
      aria-describedby={message ? `${id}-reminders-error` : undefined}
    >
      <legend>Reminders</legend>
      {reminders.length > 0 && (
        <ul className="reminder-chips">
          {reminders.map((reminder) => {
            const words = describeReminder(reminder);
            return (
              <li key={'at' in reminder ? `at-${reminder.at}` : `before-${reminder.before}`}>
                <BellIcon size={14} />
                <span>{words}</span>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove reminder: ${words}`}
                  onClick={() => {
                    focusAdd.current = true;
                    onChange(reminders.filter((r) => r !== reminder));
                  }}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {adding ? (
        <ReminderPicker
          id={id}
          hasDue={hasDue}
          onCancel={close}
          onAdd={(reminder) => {
            if (!reminders.some((r) => sameReminder(r, reminder))) {
              onChange([...reminders, reminder]);
            }
            close();
          }}
        />
      ) : full ? (
        <p className="hint">Up to {REMINDERS_MAX} reminders.</p>
      ) : (
        <button
          type="button"
          ref={addButton}
          id={`${id}-reminders`}
          className="link-button add-reminder"
          onClick={() => setAdding(true)}
        >
          Add reminder
        </button>
      )}
      {message && (
        <p className="field-error" id={`${id}-reminders-error`}>
          {message}
        </p>
      )}
    </fieldset>
  );
}

interface PickerProps {
  id: string;
  hasDue: boolean;
  onAdd: (reminder: ReminderInput) => void;
  onCancel: () => void;
}

/** When to remind: before the due time, or at a date and time. */
function ReminderPicker({ id, hasDue, onAdd, onCancel }: PickerProps) {
  const [choice, setChoice] = useState<ReminderChoice>(hasDue ? 'PT15M' : 'at');
  const [localAt, setLocalAt] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const select = useRef<HTMLSelectElement>(null);
  const atInput = useRef<HTMLInputElement>(null);

  useEffect(() => select.current?.focus(), []);

  function add() {
    const reminder = reminderFor(choice, localAt);
    if (!reminder) {
      setProblem('Choose a date and time.');
      atInput.current?.focus();
      return;
    }
    onAdd(reminder);
  }

  // Enter adds the reminder, not the whole task; Escape closes the picker, not the form.
  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement) {
      event.preventDefault();
      add();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    }
  }

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: keys of the controls inside bubble here
    <div className="reminder-picker" onKeyDown={onKeyDown}>
      <label className="visually-hidden" htmlFor={`${id}-reminder-when`}>
        When to remind
      </label>
      <select
        id={`${id}-reminder-when`}
        ref={select}
        value={choice}
        onChange={(event) => {
          const chosen = reminderChoices.find((c) => c === event.target.value);
          if (chosen) setChoice(chosen);
          setProblem(null);
        }}
      >
        {reminderChoices.map((c) => (
          <option key={c} value={c}>
            {reminderChoiceLabels[c]}
          </option>
        ))}
      </select>
      {choice === 'at' && (
        <>
          <label className="visually-hidden" htmlFor={`${id}-reminder-at`}>
            Remind at
          </label>
          <input
            id={`${id}-reminder-at`}
            ref={atInput}
            type="datetime-local"
            value={localAt}
            onChange={(event) => {
              setLocalAt(event.target.value);
              setProblem(null);
            }}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-reminder-problem` : undefined}
          />
        </>
      )}
      <button type="button" onClick={add}>
        Add
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      {problem && (
        <p className="field-error" id={`${id}-reminder-problem`}>
          {problem}
        </p>
      )}
    </div>
  );
}
