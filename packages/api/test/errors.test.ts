// Service errors: where the name and message come from, and PIC's ServiceCallResult and status
// for each name AWS's KVS APIs answer with (and for unanswered requests).

import {
  isRetryableError,
  KvsServiceError,
  KvsTransportError,
  serviceCallResultOf,
  serviceErrorFromResponse,
} from '@kvs-ts/api';
import { isRetriableResult, KvsError, ServiceCallResult, StatusCode, serviceCallResultStatus } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';

const R = ServiceCallResult;

function parse(status: number, headers: Record<string, string>, body: string) {
  return serviceErrorFromResponse(status, new Headers(headers), body, 'Op');
}

describe('reading service errors', () => {
  it('prefers x-amzn-ErrorType (without its ":…" tail), then __type (without its namespace)', () => {
    expect(parse(400, { 'x-amzn-ErrorType': 'InvalidArgumentException:http://internal/' }, '{}').code).toBe(
      'InvalidArgumentException',
    );
    expect(parse(400, {}, '{"__type":"com.amazonaws.kinesisvideo.v20170930#ResourceInUseException"}').code).toBe(
      'ResourceInUseException',
    );
    expect(
      parse(400, { 'x-amzn-errortype': 'VersionMismatchException' }, '{"__type":"ResourceInUseException"}').code,
    ).toBe('VersionMismatchException');
  });

  it('reads message, Message or errorMessage, and x-amzn-RequestId', () => {
    expect(parse(400, {}, '{"__type":"X","message":"lower"}').serviceMessage).toBe('lower');
    expect(parse(400, {}, '{"__type":"X","Message":"upper"}').serviceMessage).toBe('upper');
    expect(parse(400, {}, '{"__type":"X","errorMessage":"other"}').serviceMessage).toBe('other');
    expect(parse(400, { 'x-amzn-RequestId': 'abc-123' }, '{}').requestId).toBe('abc-123');
  });

  it('copes with a body that is not JSON or is empty', () => {
    const html = parse(502, {}, '<html>Bad Gateway</html>');
    expect(html).toMatchObject({ code: 'UnknownError', httpStatus: 502, retryable: true, result: R.UNKNOWN });
    expect(html.serviceMessage).toBe('<html>Bad Gateway</html>');
    expect(parse(429, {}, '')).toMatchObject({
      code: 'TooManyRequestsException',
      result: R.CLIENT_LIMIT,
      retryable: true,
    });
    expect(parse(404, {}, '')).toMatchObject({ code: 'UnknownError', result: R.RESOURCE_NOT_FOUND, retryable: false });
    expect(parse(400, {}, '')).toMatchObject({ result: R.UNKNOWN, retryable: false });
  });

  it('is a KvsError named by its code, as the AWS SDK v3 names its errors', () => {
    const e = parse(404, {}, '{"__type":"ResourceNotFoundException","message":"gone"}');
    expect(e).toBeInstanceOf(KvsError);
    expect(e).toBeInstanceOf(KvsServiceError);
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.isNotFound).toBe(true);
    expect(e.statusName).toBe('STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR');
  });
});

describe('PIC results of service errors', () => {
  const table: [code: string, http: number, result: number, status: number, retryable: boolean][] = [
    [
      'ResourceNotFoundException',
      404,
      R.RESOURCE_NOT_FOUND,
      StatusCode.STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR,
      false,
    ],
    ['ResourceInUseException', 400, R.RESOURCE_IN_USE, StatusCode.STATUS_SERVICE_CALL_RESOURCE_IN_USE_ERROR, false],
    ['ClientLimitExceededException', 400, R.CLIENT_LIMIT, StatusCode.STATUS_SERVICE_CALL_CLIENT_LIMIT_ERROR, true],
    ['ConnectionLimitExceededException', 400, R.CLIENT_LIMIT, StatusCode.STATUS_SERVICE_CALL_CLIENT_LIMIT_ERROR, false],
    [
      'AccountStreamLimitExceededException',
      400,
      R.STREAM_LIMIT,
      StatusCode.STATUS_SERVICE_CALL_STREAM_LIMIT_ERROR,
      false,
    ],
    [
      'DeviceStreamLimitExceededException',
      400,
      R.DEVICE_LIMIT,
      StatusCode.STATUS_SERVICE_CALL_DEVICE_LIMIT_ERROR,
      false,
    ],
    ['NotAuthorizedException', 401, R.NOT_AUTHORIZED, StatusCode.STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR, false],
    ['AccessDeniedException', 403, R.FORBIDDEN, StatusCode.STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR, false],
    ['InvalidArgumentException', 400, R.INVALID_ARG, StatusCode.STATUS_SERVICE_CALL_INVALID_ARG_ERROR, false],
    ['InvalidResourceFormatException', 400, R.INVALID_ARG, StatusCode.STATUS_SERVICE_CALL_INVALID_ARG_ERROR, false],
    [
      'TagsPerResourceExceededLimitException',
      400,
      R.INVALID_ARG,
      StatusCode.STATUS_SERVICE_CALL_INVALID_ARG_ERROR,
      false,
    ],
    ['VersionMismatchException', 400, R.INVALID_ARG, StatusCode.STATUS_SERVICE_CALL_INVALID_ARG_ERROR, false],
    ['InvalidDeviceException', 400, R.DEVICE_NOT_FOUND, StatusCode.STATUS_SERVICE_CALL_DEVICE_NOT_FOND_ERROR, false],
    ['ExpiredTokenException', 400, R.SIGNATURE_EXPIRED, StatusCode.STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR, false],
    ['UnrecognizedClientException', 403, R.AUTH_FAILURE, StatusCode.STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR, false],
    ['InvalidEndpointException', 400, R.UNKNOWN, StatusCode.STATUS_SERVICE_CALL_UNKOWN_ERROR, false],
    ['ThrottlingException', 400, R.CLIENT_LIMIT, StatusCode.STATUS_SERVICE_CALL_CLIENT_LIMIT_ERROR, true],
    ['InternalFailure', 500, R.INTERNAL_ERROR, StatusCode.STATUS_SERVICE_CALL_UNKOWN_ERROR, true],
    ['SomethingNew', 503, R.SERVICE_UNAVAILABLE, StatusCode.STATUS_SERVICE_CALL_UNKOWN_ERROR, true],
    ['SomethingNew', 504, R.GATEWAY_TIMEOUT, StatusCode.STATUS_SERVICE_CALL_TIMEOUT_ERROR, true],
  ];
  for (const [code, http, result, status, retryable] of table) {
    it(`${code} (HTTP ${http}) → result ${result}, ${retryable ? '' : 'not '}retried`, () => {
      const e = new KvsServiceError({ code, message: 'm', httpStatus: http });
      expect(e.result).toBe(result);
      expect(e.status).toBe(status);
      expect(serviceCallResultStatus(e.result)).toBe(e.status);
      expect(e.retryable).toBe(retryable);
      expect(serviceCallResultOf(e)).toBe(result);
    });
  }

  it('sends throttling to PIC as CLIENT_LIMIT, which PIC does not retry (our HTTP layer did)', () => {
    expect(isRetriableResult(R.CLIENT_LIMIT)).toBe(false);
  });
});

describe('serviceCallResultOf', () => {
  it('maps unanswered requests to PIC timeouts or UNKNOWN', () => {
    expect(serviceCallResultOf(new KvsTransportError('connect-timeout', 'x'))).toBe(R.NETWORK_CONNECTION_TIMEOUT);
    expect(serviceCallResultOf(new KvsTransportError('timeout', 'x'))).toBe(R.NETWORK_READ_TIMEOUT);
    expect(serviceCallResultOf(new KvsTransportError('network', 'x'))).toBe(R.UNKNOWN);
    expect(new KvsTransportError('timeout', 'x').status).toBe(StatusCode.STATUS_SERVICE_CALL_TIMEOUT_ERROR);
  });

  it('reads any numeric `result` (a transport’s own errors), else UNKNOWN', () => {
    expect(serviceCallResultOf({ result: 403 })).toBe(403);
    expect(serviceCallResultOf({ result: '403' })).toBe(R.UNKNOWN);
    expect(serviceCallResultOf(new Error('x'))).toBe(R.UNKNOWN);
    expect(serviceCallResultOf(undefined)).toBe(R.UNKNOWN);
  });

  it('only service and transport errors are retryable', () => {
    expect(isRetryableError(new KvsTransportError('network', 'x'))).toBe(true);
    expect(isRetryableError(new KvsError('STATUS_INVALID_ARG', 'x'))).toBe(false);
    expect(isRetryableError(new TypeError('x'))).toBe(false);
  });
});
