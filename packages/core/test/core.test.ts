import { isKvsError, isStatusCode, KvsError, StatusCode, statusName, ticksToUs, usToTicks } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';

describe('StatusCode', () => {
  it('carries the exact PIC values of well-known codes', () => {
    expect(StatusCode.STATUS_STORE_OUT_OF_MEMORY).toBe(0x5200002e);
    expect(StatusCode.STATUS_CONTENT_VIEW_INVALID_TIMESTAMP).toBe(0x30000005);
    expect(StatusCode.STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA).toBe(0x3200000d);
    expect(StatusCode.STATUS_ACK_ERR_FRAGMENT_SIZE_REACHED).toBe(0x5200005d);
    expect(StatusCode.STATUS_INVALID_METADATA_NAME).toBe(0x52000077);
    expect(StatusCode.STATUS_CURL_PERFORM_FAILED).toBe(0x16000001);
    expect(StatusCode.STATUS_INVALID_STREAM_STATE).toBe(0x5200000e);
    expect(StatusCode.STATUS_MAX_TRACK_COUNT_EXCEEDED).toBe(0x5200007a);
  });

  it('uses the source names where the guide misspells them', () => {
    expect(statusName(0x5200005e)).toBe('STATUS_ACK_ERR_FRAGMENT_DURATION_REACHED');
    expect(statusName(0x52000061)).toBe('STATUS_ACK_ERR_MULTI_TRACK_MKV');
    expect(statusName(0x52000015)).toBe('STATUS_SERVICE_CALL_DEVICE_NOT_FOND_ERROR');
  });

  it('has one name per value', () => {
    const values = Object.values(StatusCode);
    expect(new Set(values).size).toBe(values.length);
    for (const [name, value] of Object.entries(StatusCode)) expect(statusName(value)).toBe(name);
  });

  it('names unknown codes in hex', () => {
    expect(statusName(0x52000fff)).toBe('0x52000fff');
    expect(isStatusCode(0x52000fff)).toBe(false);
    expect(isStatusCode(0)).toBe(true);
  });
});

describe('KvsError', () => {
  it('carries status, name, offset and cause', () => {
    const cause = new Error('inner');
    const e = new KvsError('STATUS_MKV_INVALID_FRAME_DATA', 'bad frame', { offset: 42, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.status).toBe(0x32000001);
    expect(e.statusName).toBe('STATUS_MKV_INVALID_FRAME_DATA');
    expect(e.offset).toBe(42);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe(
      'STATUS_MKV_INVALID_FRAME_DATA: bad frame (at byte 42) (see docs/guides/status-codes.md#status_mkv_invalid_frame_data)',
    );
    expect(e.detail).toBe('bad frame');
    expect(isKvsError(e, StatusCode.STATUS_MKV_INVALID_FRAME_DATA)).toBe(true);
    expect(isKvsError(e, 'STATUS_INVALID_ARG')).toBe(false);
    expect(isKvsError(new Error('x'))).toBe(false);
  });
});

describe('time units', () => {
  it('converts µs to ticks and back at the default 1 ms scale', () => {
    expect(usToTicks(1_234_567, 1_000_000)).toBe(1234);
    expect(ticksToUs(1234, 1_000_000)).toBe(1_234_000);
    expect(usToTicks(150, 100)).toBe(1500);
  });
});
