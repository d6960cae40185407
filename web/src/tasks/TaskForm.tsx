import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { Field, SelectField, TextField } from '../FormFields';
import { ReminderFields } from '../notifications/ReminderFields';
import { RepeatOptions, RepeatSelect } from '../recurrence/RepeatFields';
import { type TaskFormErrors, type TaskFormValues, validate } from './task-values';
import { priorities, priorityLabels, statuses, statusLabels } from './view-filters';

export interface SubmitResult {
  errors?: TaskFormErrors;
  message?: string;
}

interface Props {
  mode: 'add' | 'edit';
  initial: TaskFormValues;
  /** Resolves to what went wrong, or nothing when the task was saved. */
  onSubmit: (values: TaskFormValues) => Promise<SubmitResult | undefined>;
  /** Edit only: Cancel and Escape. */
  onCancel?: () => void;
  /** Accessible name of the form, e.g. "Add a task" or "Edit “Buy milk”". */
  label: string;
  /** Who the task can be assigned to (a shared list's members); without it, no such field. */
  assignees?: readonly Assignee[];
}

export interface Assignee {
  user_id: string;
  name: string;
}

/** The fields of a task: adds a new one (then clears itself) or edits one in place. */
export function TaskForm({ mode, initial, onSubmit, onCancel, label, assignees }: Props) {
  const editing = mode === 'edit';
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<TaskFormErrors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    if (editing) titleRef.current?.select();
  }, [editing]);

  const set =
    <K extends keyof TaskFormValues>(key: K) =>
    (value: TaskFormValues[K]) => {
      setValues((v) => ({ ...v, [key]: value }));
      if (errors[key]) setErrors((e) => ({ ...e, [key]: undefined }));
    };

  /** Several fields at once (the schedule's), clearing their errors. */
  const change = (changes: Partial<TaskFormValues>) => {
    setValues((v) => ({ ...v, ...changes }));
    setErrors((e) => {
      const keys = Object.keys(changes).filter((key) => key in e);
      return keys.length === 0
        ? e
        : Object.fromEntries(Object.entries(e).filter(([key]) => !keys.includes(key)));
    });
  };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const found = validate(values);
    setErrors(found);
    setMessage(null);
    if (Object.keys(found).length > 0) {
      // Send the user to the first field to fix.
      const first = (
        ['title', 'description', 'tags', 'time', 'repeat', 'rule', 'reminders'] as const
      ).find((k) => found[k]);
      // What a missing due date holds up is fixed in the due date.
      const needsDue = first === 'time' || first === 'repeat' || first === 'reminders';
      document.getElementById(`${id}-${needsDue && values.due === '' ? 'due' : first}`)?.focus();
      return;
    }
    setBusy(true);
    const result = await onSubmit(values);
    setBusy(false);
    if (result) {
      setErrors(result.errors ?? {});
      setMessage(result.message ?? null);
      return;
    }
    if (!editing) {
      // Empty again, unless the user has started the next task meanwhile.
      setValues((current) => (current === values ? initial : current));
      titleRef.current?.focus();
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLFormElement>) {
    if (event.key === 'Escape' && onCancel) {
      event.preventDefault();
      onCancel();
    }
  }

  const describedBy = (key: keyof TaskFormValues, hint?: string) =>
    [hint, errors[key] ? `${id}-${key}-error` : undefined].filter(Boolean).join(' ') || undefined;
  const fieldError = (key: keyof TaskFormValues) =>
    errors[key] ? (
      <p className="field-error" id={`${id}-${key}-error`}>
        {errors[key]}
      </p>
    ) : null;

  return (
    <form
      className={editing ? 'task-form editing' : 'task-form'}
      aria-label={label}
      onSubmit={submit}
      onKeyDown={onKeyDown}
      noValidate
    >
      <TextField
        id={`${id}-title`}
        label={editing ? 'Title' : 'New task'}
        fieldClassName="title-field"
        ref={titleRef}
        value={values.title}
        onChange={set('title')}
        placeholder={editing ? undefined : 'What needs doing?'}
        aria-invalid={errors.title ? true : undefined}
        aria-describedby={describedBy('title')}
        autoComplete="off"
        required
      >
        {fieldError('title')}
      </TextField>
      <Field id={`${id}-description`} label="Description" className="description-field">
        <textarea
          id={`${id}-description`}
          value={values.description}
          onChange={(e) => set('description')(e.target.value)}
          rows={2}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={describedBy('description')}
        />
        {fieldError('description')}
      </Field>
      <div className="field-row">
        {editing && (
          <SelectField
            id={`${id}-status`}
            label="Status"
            options={statuses}
            labels={statusLabels}
            value={values.status}
            onChange={set('status')}
          />
        )}
        <SelectField
          id={`${id}-priority`}
          label="Priority"
          options={priorities}
          labels={priorityLabels}
          value={values.priority}
          onChange={set('priority')}
        />
        <TextField
          id={`${id}-tags`}
          label="Tags"
          value={values.tags}
          onChange={set('tags')}
          placeholder="e.g. work, home"
          aria-invalid={errors.tags ? true : undefined}
          aria-describedby={describedBy('tags', `${id}-tags-hint`)}
          autoComplete="off"
        >
          <p className="hint visually-hidden" id={`${id}-tags-hint`}>
            Separate tags with commas.
          </p>
          {fieldError('tags')}
        </TextField>
        <TextField
          id={`${id}-due`}
          label="Due date"
          type="date"
          value={values.due}
          onChange={(due) => {
            set('due')(due);
            // What needed a due date may have one now.
            setErrors((e) => ({ ...e, time: undefined, repeat: undefined, reminders: undefined }));
          }}
          aria-invalid={errors.due ? true : undefined}
          aria-describedby={describedBy('due')}
        >
          {fieldError('due')}
        </TextField>
        <TextField
          id={`${id}-time`}
          label="Due time"
          type="time"
          value={values.time}
          onChange={set('time')}
          aria-invalid={errors.time ? true : undefined}
          aria-describedby={describedBy('time')}
        >
          {fieldError('time')}
        </TextField>
        <RepeatSelect id={id} values={values} onChange={change} errors={errors} />
        {assignees && (
          <Field id={`${id}-assignee`} label="Assigned to">
            <select
              id={`${id}-assignee`}
              value={values.assignee}
              onChange={(e) => set('assignee')(e.target.value)}
              aria-invalid={errors.assignee ? true : undefined}
              aria-describedby={describedBy('assignee')}
            >
              <option value="">Nobody</option>
              {assignees.map((person) => (
                <option key={person.user_id} value={person.user_id}>
                  {person.name}
                </option>
              ))}
              {values.assignee !== '' &&
                !assignees.some((person) => person.user_id === values.assignee) && (
                  <option value={values.assignee}>Someone no longer in the list</option>
                )}
            </select>
            {fieldError('assignee')}
          </Field>
        )}
      </div>
      <RepeatOptions id={id} values={values} onChange={change} errors={errors} />
      <ReminderFields
        id={id}
        reminders={values.reminders}
        onChange={set('reminders')}
        hasDue={values.due !== ''}
        error={errors.reminders}
      />
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          {editing ? 'Save' : busy ? 'Adding…' : 'Add task'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
