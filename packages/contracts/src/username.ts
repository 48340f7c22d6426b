/** DIGITS' username rules (contract §2.1); returns the rule message, or null when valid. */
export function usernameProblem(username: string): string | null {
  if (username.length === 0) return 'username is required';
  if (!/^[a-z]/.test(username)) return 'Must start with a lowercase letter';
  if (!/^[a-z0-9.\-_]+$/.test(username)) return 'Only lowercase letters, numbers, periods, dashes and underscores allowed';
  return null;
}
