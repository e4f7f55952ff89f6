// Exit codes (DESIGN.md): 0 clean, 1 findings at or above the gate, 2 usage or runtime error.
// Errors are turned into one actionable line here and nowhere else.

import { AuthError, errorMessage, InputError, NotFoundError, UsageError } from '@palisade/core';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

export function describeError(err: unknown): string {
  if (err instanceof UsageError) return `usage error: ${err.message} (see --help)`;
  if (err instanceof InputError) return `input error: ${err.message}`;
  if (err instanceof NotFoundError) return `not found: ${err.message}`;
  if (err instanceof AuthError) return `authentication error: ${err.message}`;
  return `error: ${errorMessage(err)}`;
}
