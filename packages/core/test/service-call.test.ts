import {
  ackErrorStatus,
  isHostAliveResult,
  isKnownAckErrorId,
  isRecoverableStatus,
  isRetriableResult,
  isRetriableStatus,
  ServiceCallResult as R,
  StatusCode as S,
  serviceCallResultStatus,
  statusName,
} from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';

describe("service call results (PIC's SERVICE_CALL_RESULT, serviceCallResultCheck, serviceCallResultRetry)", () => {
  it('maps every ACK ErrorId to its status, unknown ones to UNKNOWN_ACK_ERROR', () => {
    const expected: Array<[number, number]> = [
      [4000, 0x5200005c],
      [4001, 0x5200005d],
      [4002, 0x5200005e],
      [4003, 0x5200005f],
      [4004, 0x52000060],
      [4005, 0x52000061],
      [4006, 0x52000062],
      [4007, 0x52000063],
      [4008, 0x52000064],
      [4009, 0x52000075],
      [4010, 0x5200007c],
      [4011, 0x5200007d],
      [4012, 0x5200007e],
      [4500, 0x52000065],
      [4506, 0x5200006b],
      [4507, 0x5200006c],
      [5000, 0x5200006d],
      [5001, 0x5200006e],
      [7000, 0x5200006f],
    ];
    for (const [id, status] of expected) {
      expect(statusName(ackErrorStatus(id))).toBe(statusName(status));
      expect(isKnownAckErrorId(id)).toBe(true);
    }
    expect(ackErrorStatus(4242)).toBe(S.STATUS_ACK_ERR_UNKNOWN_ACK_ERROR);
    expect(isKnownAckErrorId(4242)).toBe(false);
  });

  it('maps HTTP and producer results to statuses', () => {
    expect(serviceCallResultStatus(R.OK)).toBe(S.STATUS_SUCCESS);
    expect(serviceCallResultStatus(R.STREAM_AUTH_IN_GRACE_PERIOD)).toBe(S.STATUS_SUCCESS);
    expect(serviceCallResultStatus(406)).toBe(S.STATUS_SERVICE_CALL_INVALID_ARG_ERROR);
    expect(serviceCallResultStatus(404)).toBe(S.STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR);
    for (const r of [401, 403]) expect(serviceCallResultStatus(r)).toBe(S.STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR);
    for (const r of [408, 504, 598, 599]) expect(serviceCallResultStatus(r)).toBe(S.STATUS_SERVICE_CALL_TIMEOUT_ERROR);
    expect(serviceCallResultStatus(10000)).toBe(S.STATUS_SERVICE_CALL_CLIENT_LIMIT_ERROR);
    expect(serviceCallResultStatus(10003)).toBe(S.STATUS_SERVICE_CALL_RESOURCE_IN_USE_ERROR);
    expect(serviceCallResultStatus(10005)).toBe(S.STATUS_SERVICE_CALL_DEVICE_NOT_FOND_ERROR);
    expect(serviceCallResultStatus(10400)).toBe(S.STATUS_SERVICE_CALL_RESOURCE_DELETED_ERROR);
    expect(serviceCallResultStatus(500)).toBe(S.STATUS_SERVICE_CALL_UNKOWN_ERROR);
    expect(serviceCallResultStatus(4006)).toBe(S.STATUS_ACK_ERR_INVALID_MKV_DATA);
  });

  it('classifies retries, host-alive drops and recoverable statuses as PIC does', () => {
    for (const r of [
      406, 10005, 10004, 401, 403, 4001, 4002, 4004, 4006, 4005, 4007, 4009, 4010, 4011, 4012, 4500, 4506, 4008, 4507,
    ]) {
      expect(isRetriableResult(r)).toBe(false);
    }
    for (const r of [404, 10003, 408, 599, 10401, 4000, 4003, 5000, 5001, 7000, 500])
      expect(isRetriableResult(r)).toBe(true);
    expect(isHostAliveResult(R.OK)).toBe(true);
    expect(isHostAliveResult(R.ACK_CONNECTION_DURATION_REACHED)).toBe(true);
    expect(isHostAliveResult(R.NETWORK_READ_TIMEOUT)).toBe(false);
    expect(isRecoverableStatus(S.STATUS_SERVICE_CALL_TIMEOUT_ERROR)).toBe(true);
    expect(isRecoverableStatus(S.STATUS_ACK_ERR_KMS_KEY_DISABLED)).toBe(false);
    expect(isRetriableStatus(S.STATUS_PUT_STREAM_CALL_FAILED)).toBe(true);
    expect(isRetriableStatus(S.STATUS_TAG_STREAM_CALL_FAILED)).toBe(false);
  });
});
