import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.ts';
import { ValidationError } from '../../src/domain/validation-error.ts';

/** Asserts that `fn` throws a ValidationError for `field`, whose one-line message names `Model.field`. */
export function expectInvalid(fn: () => unknown, model: string, field: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.ok(error instanceof UsageError, 'a ValidationError is a usage error (exit 2)');
    assert.equal(error.exitCode, 2);
    assert.equal(error.field, field);
    assert.match(error.message, new RegExp(`${model}\\.${field}\\b`));
    assert.doesNotMatch(error.message, /\n/);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

/** Asserts that `promise` rejects with a ValidationError for `field`. */
export async function expectInvalidAsync(promise: Promise<unknown>, model: string, field: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expectInvalid(
    () => {
      if (caught === undefined) return 'resolved';
      throw caught;
    },
    model,
    field,
  );
}
