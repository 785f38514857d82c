import type { z } from 'zod';
import type { BudgetBook } from '../../budgets/book/budget-book.js';
import type { Pricer } from '../../pricing/pricer.js';
import type { RoiSource } from '../../roi/roi-report.js';
import type { Store } from '../../store/store.js';
import type { LedgerRecords } from '../ledger-records.js';
import type { Principal } from './scope.js';

/** What every endpoint may use: the store, the clock (epoch µs), the files beside the ledger, keys and budgets. */
export interface ApiContext {
  store: Store;
  now(): number;
  ledgerPath: string;
  /** The ledger's keys, tokens, budgets, alerts and record of reads of calls' text (server/ledger-records.ts). */
  records: LedgerRecords;
  /** The server's budgets (the same book the gateway enforces). */
  budgets: BudgetBook;
  /** Resolves model names for budget scopes; null where no prices are loaded. */
  pricer: Pricer | null;
  /** Reads the overrides file again now if it changed (serve's price-reload.ts), rather than at the next tick. */
  refreshPrices?: () => Promise<unknown>;
  /** The ports the OTLP receivers listen on, null where one is off; absent where no server runs them. */
  receivers?: () => Receivers;
  /** Each router's strongest model (gateway/routers.ts, strongestModels): what its calls' savings compare with. */
  strongest?: ReadonlyMap<string, string>;
  /** The repositories and people of the config's `roi:`; null where it has none. */
  roi?: RoiSource | null;
}

export interface Receivers {
  otlp_http_port: number | null;
  otlp_grpc_port: number | null;
}

/**
 * A non-JSON answer (a CSV or Parquet download): the whole text, or its pieces in order (text or a binary file's
 * bytes), sent as they come so a download of a million events never sits whole in memory. Anything else an endpoint
 * returns is sent as JSON.
 */
export class FileReply {
  constructor(
    readonly type: string,
    readonly body: string | AsyncIterable<string | Uint8Array>,
    readonly filename?: string,
    /** Sent beside the body: what a CSV cannot say in its rows (the FOCUS export's events left out). */
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * One API route. `params` validates the query string and, with `response`, generates the OpenAPI document, so the
 * served schema is the one that checks requests.
 */
export interface Endpoint<S extends z.ZodRawShape = z.ZodRawShape> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI path template: `/api/events/{event_id}`. */
  path: string;
  summary: string;
  /** Only admin principals (the server token or an admin token) may call it. */
  admin?: boolean;
  /**
   * Only the server's own token may call it; the text is the 403 every other token gets. Checked before the body is
   * read, so another token cannot make the server hold a large body (a ledger write's, up to 128 MB) to be refused.
   */
  serverOnly?: string | undefined;
  params: S;
  /** The JSON request body's schema (POST, PUT); the handler gets the parsed body. */
  body?: z.ZodType;
  /** Largest body it takes, in bytes (default 64 kB: budgets are small). */
  bodyLimit?: number | undefined;
  response: z.ZodType;
  handle(
    c: ApiContext,
    p: z.infer<z.ZodObject<S>>,
    who: Principal,
    pathParams: Record<string, string>,
    body: unknown,
  ): Promise<unknown>;
}

/** Keeps each endpoint's params and handler typed together while the list holds them as one type. */
export function endpoint<S extends z.ZodRawShape>(e: Endpoint<S>): Endpoint {
  return e as unknown as Endpoint;
}
