/**
 * One error handler: DIGITS' envelopes (contract §1.2–1.3) plus our stable `code`; never a
 * stack trace. 4xx are logged at info, 5xx at error with the full error.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, Errors, isAppError } from '@digits-ts/contracts';
import type { FormErrors } from '../forms/index.ts';
import { wantsJson } from './negotiation.ts';

/** Werkzeug's exception names and phrases, so `message` reads `404: Not Found` as in DIGITS. */
const HTTP_NAMES: Record<number, [string, string]> = {
  400: ['BadRequest', 'Bad Request'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  404: ['NotFound', 'Not Found'],
  405: ['MethodNotAllowed', 'Method Not Allowed'],
  409: ['Conflict', 'Conflict'],
  413: ['RequestEntityTooLarge', 'Request Entity Too Large'],
  414: ['RequestURITooLarge', 'Request-URI Too Large'],
  415: ['UnsupportedMediaType', 'Unsupported Media Type'],
  422: ['UnprocessableEntity', 'Unprocessable Entity'],
  429: ['TooManyRequests', 'Too Many Requests'],
  500: ['InternalServerError', 'Internal Server Error'],
  501: ['NotImplemented', 'Not Implemented'],
  503: ['ServiceUnavailable', 'Service Unavailable'],
  504: ['GatewayTimeout', 'Gateway Timeout'],
};

/** A form that failed validation: answered as `{errors: {field: [msg]}, code}`. */
export class FormError extends AppError {
  constructor(readonly errors: FormErrors, code: string = Errors.VALIDATION_FAILED.code) {
    super(code, 400, false, Object.entries(errors).map(([f, m]) => `${f}: ${m.join(' ')}`).join('; '));
  }
}

/** Maps Fastify's and its plugins' own errors onto the catalogue. */
function toAppError(err: FastifyError): AppError {
  if (isAppError(err)) return err;
  switch (err.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return Errors.UPLOAD_TOO_LARGE(`upload refused: ${err.message}`, { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Errors.UNSUPPORTED_MEDIA_TYPE('send form fields as multipart/form-data or application/x-www-form-urlencoded', { cause: err });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return Errors.BAD_REQUEST('the request is not multipart/form-data', { cause: err });
    case 'FST_ERR_BAD_URL':
      return Errors.BAD_REQUEST('the URL is not valid (malformed percent-encoding)', { cause: err });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return Errors.URI_TOO_LONG('a path segment of the URL is longer than any id or name this server has', { cause: err });
    default:
      if (err.validation) return Errors.VALIDATION_FAILED(err.message, { cause: err });
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return Errors.BAD_REQUEST(err.message, { cause: err });
      }
      return Errors.INTERNAL('Internal error; the server log has the details', { cause: err });
  }
}

/** Sends `err` in the envelope the request wants (`alwaysJson`: a route that answers only JSON). */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: AppError, alwaysJson = false): FastifyReply | Promise<FastifyReply> {
  // the replies of Fastify's frameworkErrors lack our decorators: no page to render, so JSON
  const json = alwaysJson || wantsJson(request) || typeof reply.page !== 'function';
  if (err instanceof FormError) {
    if (json) return reply.code(400).send({ errors: err.errors, code: err.code });
    const description = Object.entries(err.errors).map(([f, m]) => `${f}: ${m.join(' ')}`).join('; ');
    return reply.page('error', { title: 'BadRequest', type: 'BadRequest', message: '400: Bad Request', description, code: err.code }, 400);
  }
  const [type, phrase] = HTTP_NAMES[err.statusCode] ?? ['HTTPException', 'Error'];
  const body = { message: `${err.statusCode}: ${phrase}`, type, description: err.message, code: err.code, ...(err.details === undefined ? {} : { details: err.details }) };
  if (json) return reply.code(err.statusCode).send({ error: body });
  return reply.page('error', { title: type, type, message: body.message, description: body.description, code: err.code }, err.statusCode);
}

/** Logs and answers any error a request ended with. */
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply> {
  const appError = toAppError(error);
  // shedding load is the server working as meant: a warning each, no stack to log
  if (appError.code === Errors.SERVER_BUSY.code) request.log.warn({ code: appError.code, msg: appError.message }, 'request shed');
  else if (appError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: appError.code, msg: appError.message }, 'request refused');
  return sendError(request, reply, appError);
}

/**
 * For Fastify's `frameworkErrors`: the router's own refusals (a URL with bad percent-encoding, an
 * over-long path segment) are answered before any route or error handler runs, so they would
 * otherwise leave in Fastify's envelope instead of DIGITS'.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void handleError(error, request, reply);
}

/** Installs the error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendError(request, reply, Errors.NOT_FOUND('The requested URL was not found on the server.')));
}
