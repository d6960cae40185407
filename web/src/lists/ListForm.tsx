import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { LIST_NAME_MAX as ServerListNameMax } from '../../../src/lists/list';
import { TextField } from '../FormFields';
import { swatchesWith } from './colours';

/** The server's limit, checked before sending; its type is the server constant's literal. */
export const LIST_NAME_MAX: typeof ServerListNameMax = 100;

export interface ListValues {
  name: string;
  color: string | null;
}

interface Props {
  /** Accessible name of the form: "New list", "Edit list “Groceries”". */
  label: string;
  submitLabel: string;
  initial: ListValues;
  /** Resolves to what went wrong, or nothing once the list is saved. */
  onSubmit: (values: ListValues) => Promise<string | undefined>;
  onCancel: () => void;
}

/** A list's name and colour: creates one, or renames and recolours one. */
export function ListForm({ label, submitLabel, initial, onSubmit, onCancel }: Props) {
  const id = useId();
  const [name, setName] = useState(initial.name);
  const [color, setColor] = useState(initial.color);
  const [nameError, setNameError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);

  useEffect(() => nameInput.current?.select(), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const trimmed = name.trim();
    const problem =
      trimmed === ''
        ? 'Enter a name.'
        : [...trimmed].length > LIST_NAME_MAX
          ? `Keep the name to ${LIST_NAME_MAX} characters.`
          : null;
    setNameError(problem);
    setMessage(null);
    if (problem) {
      nameInput.current?.focus();
      return;
    }
    setBusy(true);
    const failure = await onSubmit({ name: trimmed, color });
    setBusy(false);
    if (failure) setMessage(failure);
  }

  return (
    <form
      className="list-form"
      aria-label={label}
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onCancel();
        }
      }}
      noValidate
    >
      <TextField
        id={`${id}-name`}
        label="List name"
        ref={nameInput}
        value={name}
        onChange={(value) => {
          setName(value);
          setNameError(null);
        }}
        aria-invalid={nameError ? true : undefined}
        aria-describedby={nameError ? `${id}-name-error` : undefined}
        autoComplete="off"
        required
      >
        {nameError && (
          <p className="field-error" id={`${id}-name-error`}>
            {nameError}
          </p>
        )}
      </TextField>
      <fieldset className="swatches">
        <legend>Colour</legend>
        {swatchesWith(initial.color).map((swatch) => (
          <label key={swatch.label} className="swatch" title={swatch.label}>
            <input
              type="radio"
              name={`${id}-colour`}
              checked={color === swatch.value}
              onChange={() => setColor(swatch.value)}
            />
            <span
              className={swatch.value ? 'swatch-dot' : 'swatch-dot none'}
              style={swatch.value ? { backgroundColor: swatch.value } : undefined}
              aria-hidden="true"
            />
            <span className="visually-hidden">{swatch.label}</span>
          </label>
        ))}
      </fieldset>
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
