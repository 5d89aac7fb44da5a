/**
 * Where a command's output goes: the process's stdout and stderr by default, buffers in tests.
 */

/**
 * Output sinks of a command.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const io: CliIO = { out: (line) => lines.push(line), err: (line) => lines.push(line) };
 * await main(['envs', 'list'], io);
 * ```
 */
export interface CliIO {
  /** Writes one line of normal output. */
  out(line: string): void;
  /** Writes one line of diagnostics (errors, warnings). */
  err(line: string): void;
}

/**
 * The process's stdout and stderr.
 *
 * @example
 * ```ts
 * processIO.out('hello');
 * ```
 */
export const processIO: CliIO = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};
