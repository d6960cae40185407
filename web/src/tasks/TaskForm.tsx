import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
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
}

/** The fields of a task: adds a new one (then clears itself) or edits one in place. */
export function TaskForm({ mode, initial, onSubmit, onCancel, label }: Props) {
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
    (event: { target: { value: string } }) => {
      setValues((v) => ({ ...v, [key]: event.target.value as TaskFormValues[K] }));
      if (errors[key]) setErrors((e) => ({ ...e, [key]: undefined }));
    };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const found = validate(values);
    setErrors(found);
    setMessage(null);
    if (Object.keys(found).length > 0) {
      // Send the user to the first field to fix.
      const first = (['title', 'description', 'tags'] as const).find((k) => found[k]);
      document.getElementById(`${id}-${first}`)?.focus();
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
      setValues(initial);
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
      <div className="field title-field">
        <label htmlFor={`${id}-title`}>{editing ? 'Title' : 'New task'}</label>
        <input
          id={`${id}-title`}
          ref={titleRef}
          value={values.title}
          onChange={set('title')}
          placeholder={editing ? undefined : 'What needs doing?'}
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={describedBy('title')}
          autoComplete="off"
          required
        />
        {fieldError('title')}
      </div>
      <div className="field description-field">
        <label htmlFor={`${id}-description`}>Description</label>
        <textarea
          id={`${id}-description`}
          value={values.description}
          onChange={set('description')}
          rows={2}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={describedBy('description')}
        />
        {fieldError('description')}
      </div>
      <div className="field-row">
        {editing && (
          <div className="field">
            <label htmlFor={`${id}-status`}>Status</label>
            <select id={`${id}-status`} value={values.status} onChange={set('status')}>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {statusLabels[s]}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-priority`}>Priority</label>
          <select id={`${id}-priority`} value={values.priority} onChange={set('priority')}>
            {priorities.map((p) => (
              <option key={p} value={p}>
                {priorityLabels[p]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-tags`}>Tags</label>
          <input
            id={`${id}-tags`}
            value={values.tags}
            onChange={set('tags')}
            placeholder="e.g. work, home"
            aria-invalid={errors.tags ? true : undefined}
            aria-describedby={describedBy('tags', `${id}-tags-hint`)}
            autoComplete="off"
          />
          <p className="hint visually-hidden" id={`${id}-tags-hint`}>
            Separate tags with commas.
          </p>
          {fieldError('tags')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-due`}>Due date</label>
          <input
            id={`${id}-due`}
            type="date"
            value={values.due}
            onChange={set('due')}
            aria-invalid={errors.due ? true : undefined}
            aria-describedby={describedBy('due')}
          />
          {fieldError('due')}
        </div>
      </div>
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
