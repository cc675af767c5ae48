import { screen } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import { expect } from 'vitest';

/**
 * Types `bad` into the field labelled `field`, then chooses each of `choices` in the select
 * labelled `select`: each choice is refused, the field says `error`, and the select still shows
 * `stays` (a second refusal sets the same message as the first, and still puts the select back).
 */
export async function chooseWhileRefused(
  user: UserEvent,
  {
    field,
    bad,
    error,
    select,
    choices,
    stays,
  }: { field: string; bad: string; error: string; select: string; choices: string[]; stays: string },
) {
  await user.type(screen.getByLabelText(field), bad);
  for (const choice of choices) {
    await user.selectOptions(screen.getByLabelText(select), choice);
    expect(screen.getByLabelText(field)).toHaveAccessibleDescription(error);
    expect(screen.getByLabelText(select)).toHaveValue(stays);
  }
}
