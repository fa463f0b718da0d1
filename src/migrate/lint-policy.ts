import { UsageError } from '../errors.ts';

/**
 * squawk (2.66) rules that block `migrate up`, by what they guard: a lock that stops reads or writes
 * on a busy table, a rewrite or full scan under such a lock, data that cannot be brought back, or a
 * transaction the runner's own would be broken by. `--allow-unsafe RULE` lets one through.
 */
export const BLOCKING_RULES: Readonly<Record<string, 'lock' | 'data loss' | 'transaction'>> = {
  'require-concurrent-index-creation': 'lock',
  'require-concurrent-index-deletion': 'lock',
  'require-concurrent-reindex': 'lock',
  'require-concurrent-partition-detach': 'lock',
  'constraint-missing-not-valid': 'lock',
  'adding-foreign-key-constraint': 'lock',
  'disallowed-unique-constraint': 'lock',
  'adding-not-nullable-field': 'lock',
  'adding-field-with-default': 'lock',
  'adding-serial-primary-key-field': 'lock',
  'changing-column-type': 'lock',
  'ban-alter-domain-with-add-constraint': 'lock',
  'prefer-repack': 'lock',
  'ban-drop-table': 'data loss',
  'ban-drop-column': 'data loss',
  'ban-drop-database': 'data loss',
  'ban-truncate-cascade': 'data loss',
  'transaction-nesting': 'transaction',
  'ban-uncommitted-transaction': 'transaction',
  'ban-concurrent-index-creation-in-transaction': 'transaction',
};

/** squawk rules about types and style: printed with file and line, never blocking. */
export const WARNING_RULES: readonly string[] = [
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-identity',
  'prefer-text-field',
  'prefer-timestamp-tz',
  'ban-char-field',
  'prefer-robust-stmts',
  'renaming-column',
  'renaming-table',
  'ban-drop-not-null',
  'adding-required-field',
  'ban-create-domain-with-constraint',
  'require-enum-value-ordering',
  'require-table-schema',
  'identifier-too-long',
  'ban-duplicate-column-assignments',
];

/**
 * Rules the runner already satisfies: it sets lock_timeout and statement_timeout itself before
 * every migration, so asking each file to set them would only add noise. Dropped from every report.
 */
export const RULES_THE_RUNNER_SATISFIES: readonly string[] = ['require-lock-timeout', 'require-statement-timeout', 'require-timeout-settings'];

/** Spellings squawk also accepts for a rule. */
const ALIASES: Readonly<Record<string, string>> = { 'prefer-timestamptz': 'prefer-timestamp-tz' };

/** A rule's own name (squawk's aliases resolved). */
export function canonicalRule(rule: string): string {
  return ALIASES[rule] ?? rule;
}

/**
 * Whether a finding blocks `up`. A rule this table does not know (a newer squawk) blocks: it is
 * safer to ask for `--allow-unsafe RULE` once than to let an unknown lock rule through.
 */
export function severityOf(rule: string): 'blocking' | 'warning' {
  return WARNING_RULES.includes(canonicalRule(rule)) ? 'warning' : 'blocking';
}

/** True for the lock rules, which a statement on a table created earlier in the same run is exempt from. */
export function isLockRule(rule: string): boolean {
  return BLOCKING_RULES[canonicalRule(rule)] === 'lock';
}

/** What `--allow-unsafe` lets through: every blocking rule (`true`), or the rules named. */
export type AllowUnsafe = boolean | readonly string[];

/** Parses `--allow-unsafe RULE[,RULE]`; an unknown rule name is a usage error listing the ones that block. */
export function parseAllowUnsafe(value: string | boolean | undefined): AllowUnsafe {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const rules = value
    .split(',')
    .map((rule) => rule.trim())
    .filter((rule) => rule !== '');
  if (rules.length === 0) return true;
  for (const rule of rules) {
    const name = canonicalRule(rule);
    if (BLOCKING_RULES[name] === undefined && !WARNING_RULES.includes(name)) {
      throw new UsageError(
        `--allow-unsafe: '${rule}' is not a squawk rule; name one or more of ${Object.keys(BLOCKING_RULES).join(', ')} (comma-separated), or pass --allow-unsafe alone to allow them all`,
        'UNKNOWN_RULE',
      );
    }
  }
  return rules.map(canonicalRule);
}

/** Whether `allow` lets a blocking finding of `rule` through. */
export function isAllowed(allow: AllowUnsafe, rule: string): boolean {
  return allow === true || (Array.isArray(allow) && allow.includes(canonicalRule(rule)));
}
