import { sentence } from '../api/client';
import './Field.css';

interface Option<T extends string> {
  value: T;
  label: string;
}

/**
 * A labelled set of checkboxes (a fieldset with a legend) with its error under it. Each box
 * carries the error too, so that focus moved to the first box after a failed submit reads it.
 */
export function CheckboxGroup<T extends string>({
  idPrefix,
  name,
  legend,
  options,
  value,
  onChange,
  error,
}: {
  idPrefix: string;
  /** The boxes' name: what the form's errors about the group are keyed by. */
  name?: string;
  legend: string;
  options: Option<T>[];
  value: T[];
  onChange: (v: T[]) => void;
  error?: string;
}) {
  const errorId = `${idPrefix}-error`;
  return (
    <fieldset className={`field checkbox-group${error ? ' field--invalid' : ''}`}>
      <legend>{legend}</legend>
      <div className="checkbox-group__items">
        {options.map((o) => (
          <label key={o.value} className="checkbox" htmlFor={`${idPrefix}-${o.value}`}>
            <input
              id={`${idPrefix}-${o.value}`}
              type="checkbox"
              name={name}
              checked={value.includes(o.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
              onChange={(e) => onChange(e.target.checked ? [...value, o.value] : value.filter((v) => v !== o.value))}
            />
            {o.label}
          </label>
        ))}
      </div>
      {error && (
        <p className="field__error" id={errorId}>
          {sentence(error)}
        </p>
      )}
    </fieldset>
  );
}
