// The one place that maps errors to HTTP responses: core's error classes, Fastify's validation
// and limit errors, and anything unexpected (500, logged, never echoed to the caller).

import { AuthError, InputError, NotFoundError, UsageError } from '@palisade/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorBody {
  error: string;
  message: string;
  statusCode: number;
}

export function statusOf(err: unknown): number {
  if (err instanceof AuthError) return err.status;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof UsageError || err instanceof InputError) return 400;
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return 400;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600) return fe.statusCode;
  return 500;
}

const NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const statusCode = statusOf(err);
  let message = err instanceof Error ? err.message : String(err);
  if (statusCode >= 500) {
    request.log.error({ err }, 'request failed');
    message = 'internal error; see the server log';
  }
  if (statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="palisade"');
  const body: ErrorBody = { error: NAMES[statusCode] ?? 'Error', message, statusCode };
  void reply.status(statusCode).send(body);
}
