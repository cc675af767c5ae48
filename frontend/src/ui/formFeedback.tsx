import { useEffect, useRef, useState } from 'react';
import { sentence } from '../api/client';
import './Feedback.css';

/**
 * What a form does when a check fails, in the browser or at the API: once the errors are on
 * the page, focus moves to the first invalid field (`aria-invalid`, its message linked with
 * `aria-describedby`), and `<ErrorSummary>` announces what needs fixing.
 *
 * Call `failed()` for each failed submit. `attempt` counts them: key the summary on it so
 * that the same errors are announced again on the next try.
 */
export function useFormFeedback() {
  const formRef = useRef<HTMLFormElement>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (attempt === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempt]);

  return { formRef, attempt, failed: () => setAttempt((n) => n + 1) };
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

/** A summary of what needs fixing, announced (role="alert") when it appears. */
export function ErrorSummary({ messages, title = 'Some details need fixing:' }: { messages: string[]; title?: string }) {
  if (!messages.length) return null;
  return (
    <div className="alert alert--error error-summary" role="alert">
      <strong>{title}</strong>
      <ul>
        {messages.map((m, i) => (
          <li key={i}>{m}</li>
        ))}
      </ul>
    </div>
  );
}
