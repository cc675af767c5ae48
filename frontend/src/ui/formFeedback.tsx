import { useCallback, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { sentence } from '../api/client';
import './Feedback.css';

type Errors = Partial<Record<string, string | undefined>>;
const NONE: ReadonlySet<string> = new Set();

/**
 * What a form does when a check fails, in the browser or at the API: once the errors are on
 * the page, focus moves to the first invalid field (`aria-invalid`, its message linked with
 * `aria-describedby`), and `<ErrorSummary>` announces what needs fixing.
 *
 * Spread `form` on the `<form>`. Call `failed()` for each failed submit. `attempt` counts
 * them: key the summary on it so that the same errors are announced again on the next try.
 *
 * An error is about what was sent: once the person edits the field, its message goes, in the
 * field and in the summary, until the next failed submit (`failed()`; not at the submit
 * itself, or the old messages would show again while the new try is under way). The form
 * knows which field was edited by the control's `name` (give each control the name its
 * errors are keyed by: the API's field name), or by `edited(name)` for a control that is not
 * a form element. Pass each map of errors through `visible()` before showing it.
 */
export function useFormFeedback() {
  const formRef = useRef<HTMLFormElement>(null);
  const [attempt, setAttempt] = useState(0);
  const [editedNames, setEditedNames] = useState<ReadonlySet<string>>(NONE);

  // Before the page is painted with the errors, so that focus is there when they appear.
  useLayoutEffect(() => {
    if (attempt === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempt]);

  const edited = useCallback((...names: string[]) => {
    setEditedNames((s) => (names.every((n) => s.has(n)) ? s : new Set([...s, ...names])));
  }, []);

  // Typing counts as an edit at its `input` event; a choice (a select, a box, a radio) at its
  // `change` event, which comes after its `input`: a re-render between the two would put the
  // old value back into a controlled control before its own change handler reads it. Both
  // handlers run in the bubbling phase, after the control's own.
  const form = useMemo(
    () => ({
      ref: formRef,
      onInput: (e: FormEvent<HTMLFormElement>) => {
        const control = e.target as Partial<HTMLInputElement>;
        if (control.name && isTyped(control)) edited(control.name);
      },
      onChange: (e: FormEvent<HTMLFormElement>) => {
        const name = (e.target as Partial<HTMLInputElement>).name;
        if (name) edited(name);
      },
    }),
    [edited],
  );

  /** `errors` without those of fields edited since the last submit. */
  const visible = useCallback(
    <T extends Errors>(errors: T): T => {
      if (!Object.keys(errors).some((k) => editedNames.has(k))) return errors;
      const out: Errors = {};
      for (const [k, v] of Object.entries(errors)) if (!editedNames.has(k)) out[k] = v;
      return out as T;
    },
    [editedNames],
  );

  // The errors a failed submit brings are all shown, edited fields' too.
  const failed = useCallback(() => {
    setEditedNames(NONE);
    setAttempt((n) => n + 1);
  }, []);

  return { form, attempt, failed, edited, visible };
}

/** A control whose value is typed, as opposed to chosen. */
function isTyped(control: Partial<HTMLInputElement>): boolean {
  if (control.tagName === 'TEXTAREA') return true;
  return control.tagName === 'INPUT' && !['checkbox', 'radio', 'file'].includes(control.type ?? '');
}

/**
 * The summary's lines, in the order of the form's fields: the form's own messages as they are
 * (they say what to do), the API's prefixed with the field's label (they do not name it).
 * API errors about fields the form does not have come last, under their own names.
 */
export function summaryMessages(
  fields: readonly { name: string; label: string }[],
  own: Partial<Record<string, string | undefined>>,
  fromApi: Partial<Record<string, string | undefined>> = {},
): string[] {
  const lines: string[] = [];
  for (const { name, label } of fields) {
    if (own[name]) lines.push(sentence(own[name]));
    else if (fromApi[name]) lines.push(`${label}: ${sentence(fromApi[name])}`);
  }
  for (const [name, message] of Object.entries(fromApi)) {
    if (message && !fields.some((f) => f.name === name)) lines.push(`${name}: ${sentence(message)}`);
  }
  return lines;
}

/** A summary of what needs fixing, announced (role="alert") when it appears; not again as its
 * lines go one by one while the person fixes them (`aria-atomic="false"`). */
export function ErrorSummary({ messages, title = 'Some details need fixing:' }: { messages: string[]; title?: string }) {
  if (!messages.length) return null;
  return (
    <div className="alert alert--error error-summary" role="alert" aria-atomic="false" aria-relevant="additions">
      <strong>{title}</strong>
      <ul>
        {messages.map((m, i) => (
          <li key={i}>{m}</li>
        ))}
      </ul>
    </div>
  );
}
