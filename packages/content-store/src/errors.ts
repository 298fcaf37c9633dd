// The typed errors a content view throws, with PIC's status names, in one place so that every
// module words them alike.
import { KvsError } from '@kvs-ts/core';

export function invalidArg(message: string): KvsError {
  return new KvsError('STATUS_INVALID_ARG', message);
}

export function invalidOperation(message: string): KvsError {
  return new KvsError('STATUS_INVALID_OPERATION', message);
}

/** PIC `contentViewSetCurrentIndex` / `contentViewTrimTail` on an index outside the window. */
export function invalidIndex(message: string): KvsError {
  return new KvsError('STATUS_CONTENT_VIEW_INVALID_INDEX', message);
}

export function outOfMemory(length: number, why = 'no block that big is free'): KvsError {
  return new KvsError('STATUS_STORE_OUT_OF_MEMORY', `no room for ${length} bytes in the content store: ${why}`);
}

export function tooLarge(length: number, max: number): KvsError {
  return new KvsError(
    'STATUS_INVALID_ALLOCATION_SIZE',
    `${length} bytes exceed the largest item the store can hold (${max})`,
  );
}

export function internalError(message: string, cause?: unknown): KvsError {
  return new KvsError('STATUS_INTERNAL_ERROR', message, { cause });
}
