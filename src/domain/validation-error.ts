import { UsageError } from '../errors.ts';

/** A value a typed model refused; `field` names it (`size`, `limitPrice`, …) and the message says what is allowed. */
export class ValidationError extends UsageError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message, 'INVALID_FIELD');
    this.field = field;
  }
}

/** True when `error` is a ValidationError. */
export function isValidationError(error: unknown): error is ValidationError {
  return error instanceof ValidationError;
}
