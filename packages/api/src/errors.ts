// What a failed call throws, and the PIC ServiceCallResult it stands for. A service error names
// itself in the x-amzn-ErrorType header and/or the JSON body's `__type` (REST-JSON), with the
// text in `message` or `Message`. KVS answers most errors with HTTP 400, so the name, not the
// status, says what happened; the table below gives each name PIC's result, which is what
// AWS's producers feed their state machines with.

import { KvsError, ServiceCallResult, serviceCallResultStatus } from '@kvs-ts/core';

const R = ServiceCallResult;

/** Error names that mean "slow down": retried with backoff. */
const THROTTLING: ReadonlySet<string> = new Set([
  'ClientLimitExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);

/** PIC's result for each error name the KVS APIs (and AWS's common layer) answer with. */
const RESULT_BY_CODE: ReadonlyMap<string, number> = new Map([
  ['ResourceNotFoundException', R.RESOURCE_NOT_FOUND],
  ['ResourceInUseException', R.RESOURCE_IN_USE],
  ['ClientLimitExceededException', R.CLIENT_LIMIT],
  ['ConnectionLimitExceededException', R.CLIENT_LIMIT],
  ['ThrottlingException', R.CLIENT_LIMIT],
  ['TooManyRequestsException', R.CLIENT_LIMIT],
  ['AccountStreamLimitExceededException', R.STREAM_LIMIT],
  ['AccountChannelLimitExceededException', R.STREAM_LIMIT],
  ['DeviceStreamLimitExceededException', R.DEVICE_LIMIT],
  ['NotAuthorizedException', R.NOT_AUTHORIZED],
  ['AccessDeniedException', R.FORBIDDEN],
  ['UnrecognizedClientException', R.AUTH_FAILURE],
  ['InvalidSignatureException', R.AUTH_FAILURE],
  ['SignatureDoesNotMatch', R.AUTH_FAILURE],
  ['IncompleteSignatureException', R.AUTH_FAILURE],
  ['MissingAuthenticationTokenException', R.AUTH_FAILURE],
  ['ExpiredTokenException', R.SIGNATURE_EXPIRED],
  ['InvalidArgumentException', R.INVALID_ARG],
  ['InvalidResourceFormatException', R.INVALID_ARG],
  ['TagsPerResourceExceededLimitException', R.INVALID_ARG],
  ['VersionMismatchException', R.INVALID_ARG],
  ['ValidationException', R.INVALID_ARG],
  ['NoDataRetentionException', R.INVALID_ARG],
  ['UnsupportedStreamMediaTypeException', R.INVALID_ARG],
  ['InvalidCodecPrivateDataException', R.INVALID_ARG],
  ['MissingCodecPrivateDataException', R.INVALID_ARG],
  ['InvalidDeviceException', R.DEVICE_NOT_FOUND],
  // The caller wrote to the wrong data endpoint: fetch a new one and try again (retriable).
  ['InvalidEndpointException', R.UNKNOWN],
  ['InternalFailure', R.INTERNAL_ERROR],
  ['InternalServerError', R.INTERNAL_ERROR],
  ['ServiceUnavailable', R.SERVICE_UNAVAILABLE],
  ['ServiceUnavailableException', R.SERVICE_UNAVAILABLE],
]);

// HTTP statuses that are ServiceCallResults of their own; any other status without a known
// error name is UNKNOWN (AWS's C producer maps a plain 400 the same way).
const RESULT_STATUSES: ReadonlySet<number> = new Set([
  R.NOT_AUTHORIZED,
  R.FORBIDDEN,
  R.RESOURCE_NOT_FOUND,
  R.INVALID_ARG,
  R.REQUEST_TIMEOUT,
  R.INTERNAL_ERROR,
  R.NOT_IMPLEMENTED,
  R.SERVICE_UNAVAILABLE,
  R.GATEWAY_TIMEOUT,
]);

/** PIC's result for a service error: by its name, else by its HTTP status. */
export function resultOfServiceError(code: string, httpStatus: number): number {
  const byCode = RESULT_BY_CODE.get(code);
  if (byCode !== undefined) return byCode;
  if (httpStatus === 429) return R.CLIENT_LIMIT;
  return RESULT_STATUSES.has(httpStatus) ? httpStatus : R.UNKNOWN;
}

/** Whether the HTTP layer retries a service error: throttling, and 5xx other than 501. */
export function isRetryableServiceError(code: string, httpStatus: number): boolean {
  return THROTTLING.has(code) || httpStatus === 429 || (httpStatus >= 500 && httpStatus !== 501);
}

/** Fields of {@link KvsServiceError}. */
export interface ServiceErrorFields {
  code: string;
  message: string;
  httpStatus: number;
  requestId?: string;
  /** The operation that failed, e.g. `DescribeStream`. */
  operation?: string;
}

/**
 * The service answered with an error. `code` (and, as in the AWS SDK v3, the runtime `name`) is
 * AWS's error name (`ResourceNotFoundException`, …); `result` is PIC's ServiceCallResult for it
 * and `status` (from {@link KvsError}) the PIC status that result stands for.
 */
export class KvsServiceError extends KvsError {
  /** AWS's error name, e.g. `ResourceNotFoundException`. */
  readonly code: string;
  readonly httpStatus: number;
  /** x-amzn-RequestId, for AWS support. */
  readonly requestId: string | undefined;
  readonly operation: string | undefined;
  /** PIC's ServiceCallResult for this error (see {@link serviceCallResultOf}). */
  readonly result: number;
  /** Whether it is worth retrying the same call (throttling, 5xx). */
  readonly retryable: boolean;
  /** The service's message. */
  readonly serviceMessage: string;

  constructor(fields: ServiceErrorFields) {
    const result = resultOfServiceError(fields.code, fields.httpStatus);
    const where = fields.operation === undefined ? '' : `${fields.operation}: `;
    super(serviceCallResultStatus(result), `${where}${fields.code} (HTTP ${fields.httpStatus}): ${fields.message}`);
    // The AWS SDK v3 names its errors by code; KvsError's `name` is typed as the literal
    // 'KvsError', so the value is set here and `code` is the typed way to read it.
    Object.defineProperty(this, 'name', { value: fields.code, enumerable: false, configurable: true, writable: true });
    this.code = fields.code;
    this.httpStatus = fields.httpStatus;
    this.requestId = fields.requestId;
    this.operation = fields.operation;
    this.result = result;
    this.retryable = isRetryableServiceError(fields.code, fields.httpStatus);
    this.serviceMessage = fields.message;
  }

  /** Whether the service said the resource does not exist. */
  get isNotFound(): boolean {
    return this.code === 'ResourceNotFoundException';
  }
}

/** Why a request got no answer. */
export type TransportFailure = 'network' | 'connect-timeout' | 'timeout';

/**
 * The request got no answer from the service: the network failed or a timeout fired. `result`
 * is PIC's: NETWORK_CONNECTION_TIMEOUT (599) before the response started, NETWORK_READ_TIMEOUT
 * (598) while reading it, UNKNOWN for a network failure (as AWS's C producer maps curl errors).
 */
export class KvsTransportError extends KvsError {
  readonly failure: TransportFailure;
  readonly result: number;
  /** Always true: the same call may get through. */
  readonly retryable = true;
  readonly operation: string | undefined;

  constructor(failure: TransportFailure, message: string, options: { operation?: string; cause?: unknown } = {}) {
    const result =
      failure === 'connect-timeout'
        ? R.NETWORK_CONNECTION_TIMEOUT
        : failure === 'timeout'
          ? R.NETWORK_READ_TIMEOUT
          : R.UNKNOWN;
    const where = options.operation === undefined ? '' : `${options.operation}: `;
    super(serviceCallResultStatus(result), `${where}${message}`, { cause: options.cause });
    this.failure = failure;
    this.result = result;
    this.operation = options.operation;
  }
}

/**
 * PIC's ServiceCallResult for anything a call may throw: the `result` of a
 * {@link KvsServiceError} or {@link KvsTransportError} (or of any error carrying a numeric
 * `result`), else UNKNOWN.
 */
export function serviceCallResultOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'result' in error) {
    const result = (error as { result: unknown }).result;
    if (typeof result === 'number' && Number.isInteger(result)) return result;
  }
  return R.UNKNOWN;
}

/** Whether the HTTP layer retries after `error`. */
export function isRetryableError(error: unknown): boolean {
  return (error instanceof KvsServiceError || error instanceof KvsTransportError) && error.retryable;
}

/** The error a non-2xx response stands for, from its headers and (already read) body text. */
export function serviceErrorFromResponse(
  httpStatus: number,
  headers: Headers,
  bodyText: string,
  operation?: string,
): KvsServiceError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = bodyText === '' ? {} : JSON.parse(bodyText);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone speaks.
  }
  const code =
    sanitizeCode(headers.get('x-amzn-errortype')) ??
    sanitizeCode(stringField(body, '__type')) ??
    sanitizeCode(stringField(body, 'code') ?? stringField(body, 'Code')) ??
    (httpStatus === 429 ? 'TooManyRequestsException' : 'UnknownError');
  const message =
    stringField(body, 'message') ??
    stringField(body, 'Message') ??
    stringField(body, 'errorMessage') ??
    (bodyText.length > 0 && bodyText.length <= 512 && !bodyText.startsWith('{') ? bodyText : 'no message');
  const requestId = headers.get('x-amzn-requestid') ?? headers.get('x-amz-request-id') ?? undefined;
  return new KvsServiceError({ code, message, httpStatus, requestId, operation });
}

/** `ResourceNotFoundException:http://internal…` or `com.amazonaws.kinesisvideo#ResourceNotFoundException` → the bare name. */
function sanitizeCode(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  let code = raw.trim();
  const colon = code.indexOf(':');
  if (colon >= 0) code = code.slice(0, colon);
  const hash = code.lastIndexOf('#');
  if (hash >= 0) code = code.slice(hash + 1);
  return code === '' ? undefined : code;
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
