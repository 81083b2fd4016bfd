/**
 * A user-facing error: bad input (a scenario, rule file, model directory, CSV, CLI flag).
 * The CLI prints `message` as one line and exits non-zero, without a stack trace.
 * Messages name the file and the field, e.g. `envs/x.json: hosts[3].zone: expected one of ...`.
 */
export class CyrangeError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CyrangeError';
    this.exitCode = exitCode;
  }
}

export function isCyrangeError(e: unknown): e is CyrangeError {
  return e instanceof CyrangeError;
}
