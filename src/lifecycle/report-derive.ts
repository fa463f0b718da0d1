import { Decimal } from 'decimal.js';
import { UsageError } from '../errors.ts';
import { tradeIdClass } from './blank.ts';
import { FILLED_STATUSES } from './ledger-row.ts';

/**
 * The report statement's rows, computed in TypeScript: this file mirrors src/lifecycle/report-sql.ts
 * (K_AGGREGATE, then every derivation of reportSql, branch by branch and in its order) for a
 * database that cannot run that PostgreSQL statement (a custom ledger on SQLite:
 * src/lifecycle/report-sqlite.ts). A change to one is a change to the other:
 * test/lifecycle/report-derive.test.ts runs both on the same generated ledger and compares them.
 * Pure: rows go in, report rows come out.
 */

/** One row of the report statement: an anomaly, or an internal `_walk` / `_summary` row. */
export interface ReportRow {
  readonly kind: string;
  readonly profile_id: string;
  readonly symbol: string | null;
  readonly trade_id: string | null;
  readonly detail: string | null;
  /** Lifecycle keys (trade ids of this profile) whose orders prove the anomaly. */
  readonly order_keys: string[] | null;
  /** Trade ids (NULL: the rows without one) whose trade_history rows prove it. */
  readonly history_keys: (string | null)[] | null;
  readonly position_key: string | null;
}

/** An orders row as K_AGGREGATE reads it; quantities are decimal text (the view's CAST to TEXT), never floats. */
export interface TallyOrder {
  readonly profile_id: string;
  readonly trade_id: string | null;
  readonly symbol: string | null;
  readonly action: string | null;
  readonly status: string | null;
  readonly source: string | null;
  readonly quantity: string | null;
  readonly qty: string | null;
}

/** A trade_history row as K_AGGREGATE reads it. */
export interface TallyHistory {
  readonly profile_id: string;
  readonly trade_id: string | null;
  readonly symbol: string | null;
  readonly quantity: string | null;
}

/** A positions row as the report's `pos` reads it. */
export interface TallyPosition {
  readonly profile_id: string;
  readonly symbol: string | null;
  readonly quantity: string | null;
}

// Exact: a sum never rounds (decimal.js rounds to 20 significant digits by default).
const D = Decimal.clone({ precision: 1_000_000 });

/** A PostgreSQL NUMERIC as the report computes with it: the exact value and its display scale, which sums and differences keep as their larger. */
interface Numeric {
  readonly value: Decimal;
  readonly scale: number;
}

const ZERO: Numeric = { value: new D(0), scale: 0 };
const NUMERIC_TEXT = /^\s*[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** A decimal text as PostgreSQL's numeric input reads it: its display scale is the digits after the point less the exponent. */
export function parseNumeric(text: string, where: string): Numeric {
  const match = NUMERIC_TEXT.exec(text);
  if (match === null || (match[1] === '' && (match[2] ?? '') === ''))
    throw new UsageError(`${where}: '${text}' is not a decimal number: store quantities as numbers or decimal text ('0.1')`, 'BAD_LEDGER_VALUE');
  return { value: new D(text.trim()), scale: Math.max(0, (match[2] ?? '').length - Number(match[3] ?? 0)) };
}

const plus = (a: Numeric, b: Numeric): Numeric => ({ value: a.value.plus(b.value), scale: Math.max(a.scale, b.scale) });
const minus = (a: Numeric, b: Numeric): Numeric => ({ value: a.value.minus(b.value), scale: Math.max(a.scale, b.scale) });
const sumOf = (total: Numeric | null, q: Numeric): Numeric => (total === null ? q : plus(total, q));

/** `numeric::text`: fixed notation at the display scale, and no negative zero. */
function text(n: Numeric): string {
  return (n.value.isZero() ? n.value.abs() : n.value).toFixed(n.scale);
}

/** Compares as COLLATE "C" does: by code point (UTF-8 byte order), where UTF-16 code units would put U+E000–U+FFFF after astral characters. */
function compareC(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const rank = (u: number) => (u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u);
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}

const minC = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : compareC(b, a) < 0 ? b : a);
const maxC = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : compareC(b, a) > 0 ? b : a);

/** `format('%L', text)`: quote_literal, which doubles quotes and backslashes and marks a backslash with E. */
function quoteLiteral(value: string): string {
  const quoted = `'${value.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  return value.includes('\\') ? `E${quoted}` : quoted;
}

/** One group of K_AGGREGATE: a lifecycle key, and rows without a trade_id by symbol. */
interface Group {
  readonly profileId: string;
  readonly tradeId: string | null;
  readonly nullSymbol: string | null;
  symbol: string | null;
  maxSymbol: string | null;
  historySymbol: string | null;
  entry: Numeric | null;
  exit: Numeric | null;
  n: number;
  entries: number;
  exits: number;
  botRows: number;
  hn: number;
  hqty: Numeric | null;
}

const FILLED: ReadonlySet<string> = new Set(FILLED_STATUSES);

/** K_AGGREGATE in TypeScript: add the orders and trade_history rows one at a time (any order), then `rows` derives the report. */
export class LifecycleTally {
  // By profile, then by trade_id, or (rows without one) by symbol: exact keys, NULL included, as GROUP BY has them.
  readonly #profiles = new Map<string | null, { readonly byTrade: Map<string, Group>; readonly bySymbol: Map<string | null, Group> }>();

  #group(profileId: string, tradeId: string | null, symbol: string | null): Group {
    let profile = this.#profiles.get(profileId);
    if (profile === undefined) {
      profile = { byTrade: new Map(), bySymbol: new Map() };
      this.#profiles.set(profileId, profile);
    }
    let group = tradeId === null ? profile.bySymbol.get(symbol) : profile.byTrade.get(tradeId);
    if (group === undefined) {
      const nullSymbol = tradeId === null ? symbol : null;
      group = {
        profileId,
        tradeId,
        nullSymbol,
        symbol: null,
        maxSymbol: null,
        historySymbol: null,
        entry: null,
        exit: null,
        n: 0,
        entries: 0,
        exits: 0,
        botRows: 0,
        hn: 0,
        hqty: null,
      };
      if (tradeId === null) profile.bySymbol.set(symbol, group);
      else profile.byTrade.set(tradeId, group);
    }
    return group;
  }

  /** One orders row (h = 0). */
  addOrder(row: TallyOrder): void {
    const group = this.#group(row.profile_id, row.trade_id, row.symbol);
    group.symbol = minC(group.symbol, row.symbol);
    group.maxSymbol = maxC(group.maxSymbol, row.symbol);
    group.n++;
    if (row.action === 'ENTRY') group.entries++;
    if (row.action === 'EXIT') group.exits++;
    if (row.source === 'bot' && (row.action === 'ENTRY' || row.action === 'EXIT')) group.botRows++;
    if (row.status !== null && FILLED.has(row.status) && (row.action === 'ENTRY' || row.action === 'EXIT')) {
      const raw = row.quantity ?? row.qty;
      const q = raw === null ? ZERO : parseNumeric(raw, `orders.quantity of a ${row.profile_id} order on ${row.symbol}`);
      if (row.action === 'ENTRY') group.entry = sumOf(group.entry, q);
      else group.exit = sumOf(group.exit, q);
    }
  }

  /** One trade_history row (h = 1). */
  addHistory(row: TallyHistory): void {
    const group = this.#group(row.profile_id, row.trade_id, row.symbol);
    group.historySymbol = minC(group.historySymbol, row.symbol);
    group.hn++;
    if (row.quantity !== null) group.hqty = sumOf(group.hqty, parseNumeric(row.quantity, `trade_history.quantity of a ${row.profile_id} row on ${row.symbol}`));
  }

  /** reportSql's derivations over the groups added and `positions` (already limited to the profile asked for, as `pos` is). */
  rows(positions: readonly TallyPosition[]): ReportRow[] {
    const k = [...this.#profiles.values()]
      .flatMap((p) => [...p.byTrade.values(), ...p.bySymbol.values()])
      .map((g) => ({
        ...g,
        class: tradeIdClass(g.tradeId),
        entryQty: g.entry ?? ZERO,
        exitQty: g.exit ?? ZERO,
      }));
    type K = (typeof k)[number];
    const ids = k.filter((g) => g.class === 'valid' || g.class === 'malformed');
    const cmp = (a: Numeric, b: Numeric) => a.value.comparedTo(b.value);
    const row = (
      kind: string,
      g: { profileId: string },
      symbol: string | null,
      tradeId: string | null,
      detail: string | null,
      more: Partial<ReportRow> = {},
    ): ReportRow => ({
      kind,
      profile_id: g.profileId,
      symbol,
      trade_id: tradeId,
      detail,
      order_keys: null,
      history_keys: null,
      position_key: null,
      ...more,
    });
    const out: ReportRow[] = [];
    const each = (groups: readonly K[], when: (g: K) => boolean, make: (g: K) => ReportRow) => {
      for (const g of groups) if (when(g)) out.push(make(g));
    };
    each(
      k,
      (g) => g.class === 'blank' && g.n > 0,
      (g) => row('blank_trade_id', g, g.symbol, g.tradeId, `${g.n} order(s) with a blank trade_id`, { order_keys: [g.tradeId!] }),
    );
    each(
      k,
      (g) => g.class === 'blank' && g.hn > 0,
      (g) => row('blank_trade_id', g, g.historySymbol, g.tradeId, `${g.hn} trade_history row(s) with a blank trade_id`, { history_keys: [g.tradeId] }),
    );
    each(
      k,
      (g) => g.class === 'malformed' && g.n > 0,
      (g) => row('malformed_trade_id', g, g.symbol, g.tradeId, `trade_id ${quoteLiteral(g.tradeId!)} is not TRD-…`, { order_keys: [g.tradeId!] }),
    );
    each(
      k,
      (g) => g.class === 'malformed' && g.hn > 0,
      (g) => row('malformed_trade_id', g, g.historySymbol, g.tradeId, `trade_id ${quoteLiteral(g.tradeId!)} is not TRD-…`, { history_keys: [g.tradeId] }),
    );
    each(
      k,
      (g) => g.class === 'null' && g.hn > 0,
      (g) => row('missing_trade_id', g, g.nullSymbol, null, `${g.hn} trade_history row(s) without a trade_id`, { history_keys: [null] }),
    );
    each(
      ids,
      (g) => g.entries === 0 && (g.exits > 0 || g.hn > 0),
      (g) =>
        row('missing_entry_order', g, g.symbol ?? g.historySymbol, g.tradeId, `no ENTRY order; ${g.exits} EXIT order(s), ${g.hn} trade_history row(s)`, {
          order_keys: g.n > 0 ? [g.tradeId!] : null,
          history_keys: g.hn > 0 ? [g.tradeId] : null,
        }),
    );
    each(
      ids,
      (g) => cmp(g.exitQty, g.entryQty) > 0 && g.entries > 0,
      (g) => row('over_exit', g, g.symbol, g.tradeId, `exits ${text(g.exitQty)} exceed entries ${text(g.entryQty)}`, { order_keys: [g.tradeId!] }),
    );
    each(
      ids,
      (g) => g.symbol !== null && g.maxSymbol !== null && g.symbol !== g.maxSymbol,
      (g) => row('duplicate_lifecycle_key', g, g.symbol, g.tradeId, `trade_id on symbols ${g.symbol} and ${g.maxSymbol}`, { order_keys: [g.tradeId!] }),
    );
    each(
      ids,
      (g) => g.hn > 1,
      (g) => row('duplicate_lifecycle_key', g, g.historySymbol, g.tradeId, `${g.hn} trade_history rows for one lifecycle`, { history_keys: [g.tradeId] }),
    );
    each(
      ids,
      (g) => g.entryQty.value.gt(0) && cmp(g.entryQty, g.exitQty) === 0 && (g.hn === 0 || (g.hqty !== null && cmp(g.hqty, g.entryQty) !== 0)),
      (g) =>
        row(
          'history_mismatch',
          g,
          g.symbol,
          g.tradeId,
          g.hn === 0
            ? `closed lifecycle (${text(g.entryQty)}) has no trade_history row`
            : `trade_history quantity ${text(g.hqty!)}, lifecycle quantity ${text(g.entryQty)}`,
          { order_keys: [g.tradeId!], history_keys: g.hn > 0 ? [g.tradeId] : null },
        ),
    );
    // open_sym: open lifecycles by (profile_id, symbol); a NULL symbol is one group, and never equals a position's.
    const openSym = new Map<string, { profileId: string; symbol: string | null; openQty: Numeric; tradeIds: string[] }>();
    for (const g of ids) {
      if (g.n === 0 || cmp(g.entryQty, g.exitQty) <= 0) continue;
      const key = JSON.stringify([g.profileId, g.symbol]);
      const open = openSym.get(key);
      const qty = minus(g.entryQty, g.exitQty);
      if (open === undefined) openSym.set(key, { profileId: g.profileId, symbol: g.symbol, openQty: qty, tradeIds: [g.tradeId!] });
      else {
        open.openQty = plus(open.openQty, qty);
        open.tradeIds.push(g.tradeId!);
      }
    }
    // array_agg(trade_id ORDER BY trade_id) sorts by the database's collation; code point order here
    // (the same for TRD- ids, and PGlite's C collation; a test server with another may differ on odd ids).
    for (const open of openSym.values()) open.tradeIds.sort(compareC);
    const pos = positions.map((p) => ({
      ...p,
      qty: p.quantity === null ? null : parseNumeric(p.quantity, `positions.quantity of ${p.profile_id}/${p.symbol}`),
    }));
    const posKey = (p: { profile_id: string | null; symbol: string | null }) =>
      p.profile_id === null || p.symbol === null ? null : `${p.profile_id}/${p.symbol}`;
    for (const o of openSym.values()) {
      // SQL's join (p.profile_id = o.profile_id AND p.symbol = o.symbol) never matches a NULL on either side.
      const matches = o.symbol === null || o.profileId === null ? [] : pos.filter((p) => p.profile_id === o.profileId && p.symbol === o.symbol);
      for (const p of matches.length === 0 ? [undefined] : matches) {
        if (cmp(o.openQty, p?.qty ?? ZERO) <= 0) continue;
        const says = p?.qty === null || p === undefined ? 'nothing' : text(p.qty);
        out.push(
          row('ghost_position', o, o.symbol, o.tradeIds.join(','), `orders say ${text(o.openQty)} open (${o.tradeIds.join(', ')}), positions says ${says}`, {
            order_keys: o.tradeIds,
            position_key: p === undefined ? null : posKey(p),
          }),
        );
      }
    }
    for (const p of pos) {
      const o = p.symbol === null || p.profile_id === null ? undefined : openSym.get(JSON.stringify([p.profile_id, p.symbol]));
      const explained = o?.openQty ?? ZERO;
      if (p.qty === null || p.qty.value.isZero() || cmp(p.qty, explained) <= 0) continue;
      out.push(
        row('untracked_position', { profileId: p.profile_id }, p.symbol, null, `positions holds ${text(p.qty)}, open lifecycles explain ${text(explained)}`, {
          position_key: posKey(p),
        }),
      );
    }
    each(
      k,
      (g) => g.class === 'null' && g.botRows > 0,
      (g) => row('_walk', g, g.nullSymbol, null, null),
    );
    const summaries = new Map<string, { orders: number; history: number; lifecycles: number; open: number; closed: number }>();
    for (const g of k) {
      const s = summaries.get(g.profileId) ?? { orders: 0, history: 0, lifecycles: 0, open: 0, closed: 0 };
      summaries.set(g.profileId, s);
      s.orders += g.n;
      s.history += g.hn;
      if (g.class !== 'valid' && g.class !== 'malformed') continue;
      if (g.n > 0) s.lifecycles++;
      if (g.n > 0 && cmp(g.entryQty, g.exitQty) > 0) s.open++;
      if (g.entryQty.value.gt(0) && cmp(g.entryQty, g.exitQty) === 0) s.closed++;
    }
    const openPositions = new Map<string, number>();
    for (const p of pos)
      if (p.profile_id !== null && p.qty !== null && !p.qty.value.isZero()) openPositions.set(p.profile_id, (openPositions.get(p.profile_id) ?? 0) + 1);
    for (const [profileId, s] of summaries) {
      // json_build_object's own text, key by key.
      const detail = `{"orders" : ${s.orders}, "lifecycles" : ${s.lifecycles}, "open" : ${s.open}, "closed" : ${s.closed}, "history" : ${s.history}, "positions" : ${openPositions.get(profileId) ?? 0}}`;
      out.push(row('_summary', { profileId }, null, null, detail));
    }
    return out;
  }
}
