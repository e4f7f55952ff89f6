// The small set of error classes every package throws. The CLI maps them to exit codes and the
// server to HTTP statuses, each in one place; nothing else decides how an error is shown.

export class PalisadeError extends Error {
  override name = 'PalisadeError';
}

/** Wrong flags, unknown command, invalid configuration value. Exit 2, HTTP 400. */
export class UsageError extends PalisadeError {
  override name = 'UsageError';
}

/** Input that cannot be read as what it claims to be: corrupt archive, bad YAML, path traversal. */
export class InputError extends PalisadeError {
  override name = 'InputError';
}

/** A named thing (file, image, record) does not exist. */
export class NotFoundError extends PalisadeError {
  override name = 'NotFoundError';
}

/** Missing or insufficient credentials. */
export class AuthError extends PalisadeError {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly status: 401 | 403 = 401,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
