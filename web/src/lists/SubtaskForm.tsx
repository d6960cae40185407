import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { announce } from '../announcements';
import { ApiError } from '../api/client';
import type { TaskJson } from '../api/types';
import { TextField } from '../FormFields';
import { useCreateTask } from '../tasks/hooks';
import { emptyValues, validate } from '../tasks/task-values';

interface Props {
  parent: TaskJson;
  /** Done or Escape. */
  onClose: () => void;
}

/** A title, added under `parent` (in its list); stays open for the next step. */
export function SubtaskForm({ parent, onClose }: Props) {
  const id = useId();
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const create = useCreateTask();

  useEffect(() => input.current?.focus(), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const problem = validate({ ...emptyValues, title }).title;
    setError(problem ?? null);
    if (problem) {
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const added = await create.mutateAsync({ title: title.trim(), parent_id: parent.id });
      setTitle('');
      announce(`Added “${added.title}” under “${parent.title}”.`);
    } catch (failure) {
      const why = failure instanceof ApiError ? failure.userMessage : 'Try again.';
      setError(`Could not add the subtask: ${why}`);
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  }

  return (
    <form
      className="subtask-form"
      aria-label={`Add a subtask to “${parent.title}”`}
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onClose();
        }
      }}
      noValidate
    >
      <TextField
        id={`${id}-title`}
        label="Subtask"
        ref={input}
        value={title}
        onChange={(value) => {
          setTitle(value);
          setError(null);
        }}
        placeholder="What is the next step?"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        autoComplete="off"
        required
      >
        {error && (
          <p className="field-error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </TextField>
      <div className="form-actions">
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          {busy ? 'Adding…' : 'Add subtask'}
        </button>
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </form>
  );
}
