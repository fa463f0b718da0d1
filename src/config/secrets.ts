import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';

// Secrets (database passwords, exchange keys, the daemon's tokens) come from the environment, so
// tradeledger.yaml can be committed: `${VAR}` in a string value, or VAR_FILE naming a file that
// holds the value (Docker and Kubernetes secrets mount as files). Neither the values nor the files'
// contents are ever echoed in a message: errors name the variable and the key, never what it held.

/** The suffix that names a file holding a variable's value, as the postgres image's POSTGRES_PASSWORD_FILE. */
export const FILE_SUFFIX = '_FILE';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value read from the environment, and where it came from (for messages). */
export interface EnvValue {
  readonly value: string;
  /** `VAR`, or `VAR_FILE (/run/secrets/x)`. */
  readonly from: string;
  /** True when it was read from a VAR_FILE file. */
  readonly fromFile: boolean;
}

function readSecretFile(variable: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`${variable}='${path}' cannot be read (${String(code ?? 'error')}): name a readable file that holds the value`, 'BAD_ENV');
  }
  // An editor or `echo` leaves a line break at the end; it is never part of a password.
  const value = text.replace(/(\r?\n)+$/, '');
  if (value === '') throw new UsageError(`${variable}='${path}' is an empty file: put the value in it, or unset ${variable}`, 'BAD_ENV');
  return value;
}

/**
 * `name` from `env`, or the content of the file `name_FILE` names (trailing line breaks removed);
 * undefined when neither is set. Both set is a usage error: which one wins would be a guess.
 */
export function envValue(env: NodeJS.ProcessEnv, name: string): EnvValue | undefined {
  const fileVariable = `${name}${FILE_SUFFIX}`;
  const direct = env[name];
  const file = env[fileVariable];
  if (direct !== undefined && file !== undefined) {
    throw new UsageError(`both ${name} and ${fileVariable} are set: unset one (${fileVariable} names a file holding the value)`, 'BAD_ENV');
  }
  if (file !== undefined) {
    if (file.trim() === '') throw new UsageError(`${fileVariable} is set but empty: name a file that holds the value, or unset it`, 'BAD_ENV');
    return { value: readSecretFile(fileVariable, file), from: `${fileVariable} (${file})`, fromFile: true };
  }
  return direct === undefined ? undefined : { value: direct, from: name, fromFile: false };
}

// envValue, with the key that asked for the variable in front of any error.
function named(env: NodeJS.ProcessEnv, name: string, where: string): EnvValue | undefined {
  try {
    return envValue(env, name);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${where}: ${error.message}`, error.code, { cause: error });
    throw error;
  }
}

/** What `interpolate` replaced: the values, so that messages can hide them. */
export interface Interpolated<T> {
  readonly value: T;
  readonly secrets: readonly string[];
}

function keyOf(path: readonly (string | number)[]): string {
  return path.map(String).join('.') || '(top level)';
}

function interpolateText(text: string, where: string, env: NodeJS.ProcessEnv, secrets: string[]): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    // `$${` is a literal `${`, as in docker compose.
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const end = text.indexOf('}', i + 2);
    const name = end < 0 ? '' : text.slice(i + 2, end);
    if (!NAME.test(name)) {
      throw new UsageError(
        `${where}: '\${' must start a variable reference such as \${PGPASSWORD} (letters, digits and _ between the braces); write $\${ for a literal '\${'`,
        'CONFIG_INVALID',
      );
    }
    const found = named(env, name, where);
    if (found === undefined) {
      throw new UsageError(`${where}: \${${name}} is not set: export ${name}, or ${name}${FILE_SUFFIX} naming a file that holds it`, 'CONFIG_INVALID');
    }
    if (found.value === '') throw new UsageError(`${where}: \${${name}} is set but empty: give ${name} a value`, 'CONFIG_INVALID');
    secrets.push(found.value);
    out += found.value;
    i = end + 1;
  }
  return out;
}

/**
 * Replaces `${VAR}` in every string value of a parsed tradeledger.yaml with VAR (or the content of
 * VAR_FILE); `$${` stays a literal `${`. Only values, never keys; the result stays a string (write
 * `port: 8080`, or use TRADELEDGER_SERVE_PORT, for numbers). An unset variable is a usage error
 * naming it and the key (`file`: the prefix of messages).
 */
export function interpolate<T>(tree: T, file: string, env: NodeJS.ProcessEnv): Interpolated<T> {
  const secrets: string[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return interpolateText(node, `${file}: ${keyOf(path)}`, env, secrets);
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key])]));
    }
    return node;
  };
  return { value: walk(tree, []) as T, secrets };
}

// Shorter values (a port, a flag) are no secret and would garble the message if replaced.
const MIN_HIDDEN_LENGTH = 4;

/** `text` with every secret in `secrets` replaced by `***` (longest first, so that no part of one survives). */
export function hideSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length >= MIN_HIDDEN_LENGTH).sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, '***');
  return out;
}
