// What the bench scripts' command lines share: progress on stderr, the error of a bad option (exit status 2, with the
// script's usage line), and whole-number options read the same way in every script.

/** A progress or result line for people, on stderr (stdout carries the tables or the --json document). */
export function log(message: string): void {
  process.stderr.write(message + '\n');
}

/** Print `message` and the script's usage line, and stop with exit status 2. */
export function usageError(message: string, usage: string): never {
  log(`error: ${message}\n${usage}`);
  process.exit(2);
}

/** The value of `--name` as a positive whole number, or a usage error naming the option. */
export function positiveOption(name: string, value: string, usage: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) usageError(`--${name} must be a positive integer, got "${value}"`, usage);
  return n;
}
