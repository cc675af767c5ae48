import { sentence } from '../api/client';

interface Option {
  value: string;
  label: string;
}

/** A labelled set of checkboxes (a fieldset with a legend) with its error under it. */
export function CheckboxGroup({ idPrefix, legend, options, value, onChange, error }: { idPrefix: string; legend: string; options: Option[]; value: string[]; onChange: (v: string[]) => void; error?: string }) {
  return (
    <fieldset className={`field checkbox-group${error ? ' field--invalid' : ''}`} aria-describedby={error ? `${idPrefix}-error` : undefined}>
      <legend>{legend}</legend>
      <div className="checkbox-group__items">
        {options.map((o) => (
          <label key={o.value} className="checkbox" htmlFor={`${idPrefix}-${o.value}`}>
            <input
              id={`${idPrefix}-${o.value}`}
              type="checkbox"
              checked={value.includes(o.value)}
              onChange={(e) => onChange(e.target.checked ? [...value, o.value] : value.filter((v) => v !== o.value))}
            />
            {o.label}
          </label>
        ))}
      </div>
      {error && (
        <p className="field__error" id={`${idPrefix}-error`}>
          {sentence(error)}
        </p>
      )}
    </fieldset>
  );
}
