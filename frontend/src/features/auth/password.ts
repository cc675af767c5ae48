/** The shortest password the API accepts, in characters (code points, as the API counts). */
export const MIN_PASSWORD = 8;

/** A new password typed twice: what is wrong with it, before asking the API. */
export function checkNewPassword(next: string, again: string): { new_password?: string; confirm?: string } {
  if ([...next].length < MIN_PASSWORD) return { new_password: `Choose a password of at least ${MIN_PASSWORD} characters.` };
  if (next !== again) return { confirm: 'Type the same password twice.' };
  return {};
}
