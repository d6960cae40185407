import { Field, TextField } from '../FormFields';
import { useProfile } from '../tasks/hooks';
import { allowsFromCompletion, dueDayOf, repeatChoices, repeatLabels } from './repeat-choices';
import { ruleOf, type ScheduleErrors, type ScheduleValues } from './schedule-values';

interface Props {
  /** The form's id prefix: each control's id is `${id}-<field>`. */
  id: string;
  values: ScheduleValues;
  onChange: (changes: Partial<ScheduleValues>) => void;
  errors: ScheduleErrors;
}

/** Ids of the hint and the error that describe a control, for aria-describedby. */
const describedBy = (...ids: (string | false | undefined)[]) =>
  ids.filter(Boolean).join(' ') || undefined;

/** "Repeat": one of the common rules, or a custom one. Goes in the form's row of fields. */
export function RepeatSelect({ id, values, onChange, errors }: Props) {
  const labels = repeatLabels(dueDayOf(values.due));
  // Asked for as soon as a repeat is chosen, not only when the form is sent.
  const needsDue = values.repeat !== 'none' && values.due === '';
  const message = needsDue ? 'Choose a due date to repeat this task.' : errors.repeat;
  const showMessageHere = message !== undefined && values.repeat !== 'custom';
  return (
    <Field id={`${id}-repeat`} label="Repeat" className="repeat-field">
      <select
        id={`${id}-repeat`}
        value={values.repeat}
        onChange={(event) => {
          const choice = repeatChoices.find((c) => c === event.target.value);
          if (choice) onChange({ repeat: choice });
        }}
        aria-invalid={errors.repeat && values.repeat !== 'custom' ? true : undefined}
        aria-describedby={showMessageHere ? `${id}-repeat-error` : undefined}
      >
        {repeatChoices.map((choice) => (
          <option key={choice} value={choice}>
            {labels[choice]}
          </option>
        ))}
      </select>
      {showMessageHere && (
        <p className="field-error" id={`${id}-repeat-error`}>
          {message}
        </p>
      )}
    </Field>
  );
}

/** Below the row, once the task repeats: the custom rule and "from completion". */
export function RepeatOptions({ id, values, onChange, errors }: Props) {
  const profile = useProfile();
  if (values.repeat === 'none') return null;
  // The server counts days in the account's zone: say so when this device is elsewhere.
  const accountZone = profile.data?.timezone;
  const otherZone =
    accountZone !== undefined && accountZone !== Intl.DateTimeFormat().resolvedOptions().timeZone;
  const rule = ruleOf(values);
  const fromCompletionAllowed = allowsFromCompletion(rule);
  const ruleError = errors.rule ?? (values.due !== '' ? errors.repeat : undefined);
  return (
    <div className="repeat-options">
      {values.repeat === 'custom' && (
        <TextField
          id={`${id}-rule`}
          label="Custom rule"
          fieldClassName="rule-field"
          value={values.rule}
          onChange={(rule) => onChange({ rule })}
          placeholder="FREQ=WEEKLY;INTERVAL=2"
          spellCheck={false}
          autoCapitalize="characters"
          autoComplete="off"
          aria-invalid={ruleError ? true : undefined}
          aria-describedby={describedBy(`${id}-rule-hint`, ruleError && `${id}-rule-error`)}
        >
          <p className="hint" id={`${id}-rule-hint`}>
            An iCalendar RRULE, e.g. FREQ=MONTHLY;BYDAY=1MO for the first Monday.
          </p>
          {ruleError && (
            <p className="field-error" id={`${id}-rule-error`}>
              {ruleError}
            </p>
          )}
        </TextField>
      )}
      <div className="field check-field">
        <label>
          <input
            type="checkbox"
            id={`${id}-fromCompletion`}
            checked={values.fromCompletion && fromCompletionAllowed}
            disabled={!fromCompletionAllowed}
            onChange={(event) => onChange({ fromCompletion: event.target.checked })}
            aria-describedby={`${id}-fromCompletion-hint`}
          />
          From completion
        </label>
        <p className="hint" id={`${id}-fromCompletion-hint`}>
          {fromCompletionAllowed
            ? 'The next date counts from the day it is done.'
            : 'Only for rules without set days, such as Daily or Yearly.'}
        </p>
        {errors.fromCompletion && <p className="field-error">{errors.fromCompletion}</p>}
      </div>
      {otherZone && (
        <p className="hint zone-hint">
          Repeats follow your time zone, {accountZone.replaceAll('_', ' ')}: change it in Settings.
        </p>
      )}
    </div>
  );
}
