import type { ComponentProps, ReactNode } from 'react';

// A form field is a labelled control in a div.field: the label names the control through its
// id (htmlFor), which is how screen readers and the browser tests find it.

interface FieldProps {
  /** The control's id, for the label's htmlFor. */
  id: string;
  label: ReactNode;
  /** Classes beside "field". */
  className?: string;
  /** The control, then what follows it (hints, errors). */
  children: ReactNode;
}

export function Field({ id, label, className, children }: FieldProps) {
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

type TextFieldProps = Omit<ComponentProps<'input'>, 'id' | 'value' | 'onChange' | 'children'> & {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  /** Classes of the field around the input, beside "field". */
  fieldClassName?: string;
  /** What follows the input (hints, errors). */
  children?: ReactNode;
};

/** A labelled input; the rest of the props are the input's own. */
export function TextField({
  id,
  label,
  value,
  onChange,
  fieldClassName,
  children,
  ...input
}: TextFieldProps) {
  return (
    <Field id={id} label={label} className={fieldClassName}>
      <input {...input} id={id} value={value} onChange={(e) => onChange(e.target.value)} />
      {children}
    </Field>
  );
}

type SelectFieldProps<T extends string> = {
  id: string;
  label: ReactNode;
  /** The choices, in the order shown. */
  options: readonly T[];
  labels: Record<T, string>;
} & (
  | { value: T; onChange: (value: T) => void; anyLabel?: undefined }
  | {
      value: T | undefined;
      onChange: (value: T | undefined) => void;
      /** The label of a first, empty choice that stands for "no choice": the value undefined. */
      anyLabel: string;
    }
);

/** A labelled select of one of options; onChange gets only values from options. */
export function SelectField<T extends string>(props: SelectFieldProps<T>) {
  const { id, label, options, labels } = props;
  return (
    <Field id={id} label={label}>
      <select
        id={id}
        value={props.value ?? ''}
        onChange={(e) => {
          const chosen = options.find((option) => option === e.target.value);
          if (props.anyLabel !== undefined) props.onChange(chosen);
          else if (chosen !== undefined) props.onChange(chosen);
        }}
      >
        {props.anyLabel !== undefined && <option value="">{props.anyLabel}</option>}
        {options.map((option) => (
          <option key={option} value={option}>
            {labels[option]}
          </option>
        ))}
      </select>
    </Field>
  );
}
