import type { ComponentProps, ReactNode } from 'react';
import { sentence } from '../api/client';
import './Field.css';

interface FieldShellProps {
  id: string;
  label: string;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
}

/** A labelled field with its hint and its error right under it. */
export function FieldShell({ id, label, error, hint, children }: FieldShellProps) {
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !error && (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field__error" id={`${id}-error`}>
          {sentence(error)}
        </p>
      )}
    </div>
  );
}

/**
 * The attributes that tie a control to its error (or, without one, its hint): screen readers
 * read the message with the field, and `aria-invalid` is what `useFormFeedback` looks for.
 */
export function fieldAria(id: string, error?: string, hint?: ReactNode) {
  return {
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  } as const;
}

type TextFieldProps = Omit<ComponentProps<'input'>, 'id'> & {
  id: string;
  label: string;
  error?: string;
  hint?: ReactNode;
};

export function TextField({ id, label, error, hint, ...rest }: TextFieldProps) {
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <input id={id} {...fieldAria(id, error, hint)} {...rest} />
    </FieldShell>
  );
}

type TextAreaFieldProps = Omit<ComponentProps<'textarea'>, 'id'> & {
  id: string;
  label: string;
  error?: string;
  hint?: ReactNode;
};

export function TextAreaField({ id, label, error, hint, ...rest }: TextAreaFieldProps) {
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <textarea id={id} {...fieldAria(id, error, hint)} {...rest} />
    </FieldShell>
  );
}

type SelectFieldProps = Omit<ComponentProps<'select'>, 'id'> & {
  id: string;
  label: string;
  error?: string;
  hint?: ReactNode;
};

export function SelectField({ id, label, error, hint, children, ...rest }: SelectFieldProps) {
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <select id={id} {...fieldAria(id, error, hint)} {...rest}>
        {children}
      </select>
    </FieldShell>
  );
}
