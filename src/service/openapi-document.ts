import { pino } from 'pino';
import type { Database } from '../db/port.ts';
import { buildApp } from './app.ts';
import { DaemonMetrics } from './metrics.ts';
import { API_VERSION } from './openapi.ts';

// The packs whose daemons serve different routes: bot-ledger (trading, recon) and risk-state (enforcement).
const PACKS = ['bot-ledger', 'risk-state'] as const;

// Building an app to read its routes opens no database; any use of this one is a bug.
const NO_DATABASE = new Proxy(
  {},
  {
    get(_target, key) {
      throw new Error(`the OpenAPI document is built without a database (${String(key)} was read)`);
    },
  },
) as Database;

interface Document {
  readonly paths?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

async function packDocument(pack: string): Promise<Document> {
  const app = buildApp({
    db: NO_DATABASE,
    log: pino({ level: 'silent' }),
    metrics: new DaemonMetrics(),
    pack,
    expectedVersion: 0,
    // A token registers the admin routes; its value is never read.
    adminToken: 'openapi-document-only',
    lastCycle: () => null,
  });
  try {
    await app.ready();
    return app.swagger() as Document;
  } finally {
    await app.close();
  }
}

/**
 * The OpenAPI 3 document of every route any daemon serves (each pack's routes, tagged by what they
 * serve), as docs/openapi.json holds it. A daemon's own GET /openapi.json lists only its pack's routes.
 */
export async function openApiDocument(): Promise<Document> {
  const documents = [];
  for (const pack of PACKS) documents.push(await packDocument(pack));
  const [first] = documents as [Document, ...Document[]];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const document of documents) {
    for (const [path, operations] of Object.entries(document.paths ?? {})) paths[path] = { ...paths[path], ...operations };
  }
  const info = first['info'] as Record<string, unknown>;
  return {
    ...first,
    info: {
      ...info,
      version: API_VERSION,
      description: String(info['description']).replace(
        /serving the \S+ pack/,
        `serving the ${PACKS.join(' or the ')} pack (the routes each serves are tagged)`,
      ),
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** docs/openapi.json's text: the document, two-space indented, with a final line break. */
export async function openApiText(): Promise<string> {
  return `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
}
