import { createRequire } from 'node:module';
import { TokenledgerError } from '../errors.js';
import { EXPORT_FORMATS } from '../store/store.js';
import { TOKENLEDGER_VERSION } from '../version.js';
import { collect } from './filters.js';

// By require: commander is CommonJS, and its ESM entry makes Node scan it for exports first (~12 ms of every command).
const { Command, CommanderError, Option } = createRequire(import.meta.url)(
  'commander',
) as typeof import('commander');
type Command = import('commander').Command;

// Each command's code is imported when the command runs, not up front: loading every command (DuckDB, the server,
// the OpenTelemetry decoders) cost ~0.3 s on every invocation, which dominated a re-import with nothing new.
const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

/** `--db` and `--prices`; `ledger` is where the ledger is when neither --db nor TOKENLEDGER_DB says. */
function ledgerOptions(c: Command, ledger = '.tokenledger/ledger.duckdb'): Command {
  return c
    .option('--db <path>', `ledger file (default: $TOKENLEDGER_DB or ${ledger})`)
    .option(
      '--prices <file>',
      'price overrides file (default: $TOKENLEDGER_PRICES or ./tokenledger.prices.yaml)',
    );
}

/** `--tz`, one meaning for every command with --since/--until: the zone their dates are read in (filters.ts). */
const TZ_HELP =
  'IANA time zone (Asia/Tokyo) whose calendar --since/--until dates and months are read in (default UTC)';

function tzOption(c: Command, help = TZ_HELP): Command {
  return c.option('--tz <zone>', help);
}

function filterOptions(c: Command, tzHelp?: string): Command {
  return tzOption(c, tzHelp)
    .option('--since <when>', 'from this age (30d, 12h, 2w), month (2026-11) or date (2026-11-01)')
    .option('--until <when>', 'before this age, month or date')
    .option(
      '--where <dim=value>',
      'only rows where DIM equals VALUE (repeatable; same DIM twice means either)',
      collect,
    );
}

export function buildProgram(): Command {
  const program = new Command('tokenledger')
    .description(
      "An exact, auditable ledger of LLM token spend. Run alone, it imports this machine's coding-agent logs " +
        '(Claude Code, Codex, Gemini CLI, Copilot CLI, pi, Amp, Qwen Code) into .tokenledger/ledger.duckdb and ' +
        'prints what they spent.',
    )
    .version(TOKENLEDGER_VERSION)
    .showHelpAfterError();

  ledgerOptions(
    program
      .command('start')
      .description('fill an empty ledger with the demo organisation, print the spend report, then serve')
      .option('--host <host>', 'address to bind', '127.0.0.1')
      .option('--port <port>', 'port to listen on', '8787')
      .option('--no-serve', 'print the report and exit instead of starting the server'),
  ).action(async (o) => (await import('./start.js')).startCommand(o, out));

  filterOptions(
    ledgerOptions(
      program
        .command('report')
        .description('spend and tokens grouped by dimensions')
        .option(
          '--by <dims>',
          'comma-separated dimensions: team, user, project, agent, key, model, provider, tag.KEY, …',
          'model',
        )
        .option('--bucket <size>', 'also group by time: hour, day, week or month')
        .option(
          '--top <n>',
          'keep the N costliest groups and fold the rest into one row: "(all others)" in the table, other: true in JSON and CSV',
        )
        .option('--billed', 'add what events cost as first billed, before any reprice')
        .option(
          '--share-unattributed',
          'split the cost of calls with no value of the --by dimension among the groups with one, by their cost',
        )
        .addOption(
          new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
        ),
    ),
    'IANA time zone whose calendar days (weeks, months, hours) buckets and --since/--until dates follow (default UTC)',
  ).action(async (o) => (await import('./report.js')).report(o, out));

  filterOptions(
    ledgerOptions(
      program
        .command('events')
        .description('the audit trail: events with cost parts, rates and price version, newest first')
        .option('--limit <n>', 'how many events', '50')
        .addOption(
          new Option('--format <format>', 'output format (with --content: table or json)')
            .choices(['table', 'json', 'jsonl', 'csv'])
            .default('table'),
        )
        .addOption(
          new Option(
            '--content <event_id>',
            "instead of the list, this gateway call's stored request and completion (kept for keys created with --store-content)",
          ).conflicts(['since', 'until', 'tz', 'where', 'limit']),
        )
        .option('--ts <ts>', 'with --content: the event time (its ts from --format json, or ts_us)')
        .addOption(
          new Option(
            '--purge-content',
            'instead of the list, delete the stored request and completion text of the calls --where, --since and --until choose (their events stay)',
          ).conflicts(['content', 'limit', 'format', 'ts']),
        ),
    ),
  ).action(async (o) => {
    if (o.purgeContent === true) return (await import('./event-content.js')).purgeContentCommand(o, out);
    if (o.content !== undefined) return (await import('./event-content.js')).eventContentCommand(o, out);
    if (o.ts !== undefined)
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        '--ts goes with --content EVENT_ID; the list takes --since/--until',
      );
    return (await import('./events.js')).eventsCommand(o, out);
  });

  ledgerOptions(
    program
      .command('import')
      .description(
        'import usage: local agent logs (claude-code, codex, gemini-cli, copilot, pi, amp, qwen-code, or auto for all of them), provider exports ' +
          '(openai-usage, anthropic-usage, cursor) or canonical jsonl/csv files',
      )
      .argument(
        '<source>',
        'auto | claude-code | codex | gemini-cli | copilot | pi | amp | qwen-code | openai-usage | anthropic-usage | cursor | jsonl | csv',
      )
      .argument(
        '[paths...]',
        "folders or files of agent logs (default: the tool's own folders); export files",
      )
      .option('--user <user>', 'user for records that name none (agent logs: default the OS user)')
      .option('--team <team>', 'team for records that name none')
      .option('--project <project>', 'project for records that name none')
      .option('--full', 'read every file from the start, ignoring what earlier imports read'),
  ).action(async (source: string, paths: string[], o) => {
    await (await import('./import.js')).importCommand(source, paths, o, out);
  });

  ledgerOptions(
    program
      .command('reconcile')
      .description('computed cost against provider-reported cost, by day, model and project')
      .option('--provider <provider>', 'only this provider (openai, anthropic, …)')
      .option('--month <YYYY-MM>', 'only this calendar month (UTC)')
      .option('--threshold <pct>', 'flag rows whose difference exceeds this percentage', '5')
      .addOption(
        new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
      ),
  ).action(async (o) => {
    await (await import('./reconcile.js')).reconcileCommand(o, out);
  });

  tzOption(
    ledgerOptions(
      program
        .command('export')
        .description(
          'write the ledger as canonical records, or as a FOCUS 1.2 cost and usage dataset for FinOps tools',
        )
        .addOption(
          new Option('--format <format>', 'file format (focus, focus-parquet: FOCUS 1.2, docs/focus.md)')
            .choices(EXPORT_FORMATS)
            .default('jsonl'),
        )
        .option('-o, --output <file>', 'file to write (default: standard output)')
        .option('--since <when>', 'from this age or date')
        .option('--until <when>', 'before this age, month or date'),
    ),
  ).action(async (o) => (await import('./export.js')).exportCommand(o, err));

  const route = program.command('route').description('cost-effective model routing (docs/router.md)');
  route
    .command('eval')
    .description(
      'train a router on a dataset of prompts scored for several models, and measure what it saves against ' +
        'always the strongest model and other baselines (docs/router.md)',
    )
    .argument('<file>', 'JSONL: {"id", "category", "prompt", "outcomes": {MODEL: {"score", …}}} a line')
    .option('--model-prices <file>', 'USD per 1M tokens of each model (default: models.json beside FILE)')
    .option('--targets <shares>', "shares of the strongest model's quality to keep", '0.9,0.95,1')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (file: string, o) => (await import('./route.js')).routeEvalCommand(file, o, out, err));
  route
    .command('train')
    .description(
      'train the router on a dataset, tune it for a target, and save it for the gateway (`routers:`)',
    )
    .argument('<file>', 'JSONL dataset, as for `route eval`')
    .requiredOption('-o, --output <file>', 'the router file to write')
    .option('--model-prices <file>', 'USD per 1M tokens of each model (default: models.json beside FILE)')
    .option('--target <share>', "share of the strongest model's quality to keep", '0.95')
    .action(async (file: string, o) => (await import('./route.js')).routeTrainCommand(file, o, out, err));
  ledgerOptions(
    filterOptions(
      route
        .command('savings')
        .description(
          "what each router's calls cost, against the same calls priced as its strongest model (docs/router.md)",
        )
        .option('--config <file>', 'the config naming the routers (default: ./tokenledger.config.yaml)')
        .option('--versus <model>', "compare with this model instead of each router's strongest")
        .addOption(
          new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
        ),
    ),
  ).action(async (o) => (await import('./route-savings.js')).routeSavingsCommand(o, out));

  filterOptions(
    ledgerOptions(
      program
        .command('roi')
        .description(
          "each person's AI spend beside the work git shows they shipped, rework and reverts, by usage tier, and " +
            'what each step up a tier goes with; the last 90 days (or since the ledger began) unless --since/--until ' +
            'say (docs/roi.md)',
        )
        .option(
          '--repo <path>',
          "a git repository to read (repeatable; default: this folder, or outside a repository the demo's)",
          collect,
        )
        .option('--ref <ref>', 'the branch whose first-parent line is the shipped work', 'HEAD')
        .option(
          '--people <file>',
          "who is who: each person's git emails and ledger users (docs/roi.md#people-file)",
        )
        .addOption(
          new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
        ),
    ),
  ).action(async (o) => (await import('./roi.js')).roiCommand(o, out));

  const prices = program.command('prices').description('the price catalog and your overrides');
  ledgerOptions(
    prices.command('show').description('what a model name resolves to, and its prices').argument('<name>'),
  ).action(async (name: string, o) => (await import('./prices.js')).pricesShow(name, o, out));

  ledgerOptions(
    program
      .command('reprice')
      .description('recompute costs with the prices now in force, keeping old values in the audit table')
      .option('--since <when>', 'only events from this age or date')
      .option('--tz <zone>', 'IANA time zone (Asia/Tokyo) a --since date is read in (default UTC)')
      .option('--model <name>', 'only events of this model'),
  ).action(async (o) => (await import('./reprice.js')).repriceCommand(o, out));

  ledgerOptions(
    program
      .command('demo')
      .description(
        'add the deterministic demo organisation to the ledger, and its work as a git repository beside it',
      )
      .option('--seed <n>', 'random seed', '42')
      .option('--people <n>', 'number of people', '300')
      .option('--days <n>', 'days of history ending today', '30'),
  ).action(async (o) => (await import('./demo.js')).demoCommand(o, out));

  ledgerOptions(
    program
      .command('serve')
      .description('run the gateway (OpenAI- and Anthropic-compatible, metered) and the server on one port')
      .option('--host <host>', 'address to bind', '127.0.0.1')
      .option('--port <port>', 'port to listen on', '8787')
      .option('--otlp-port <port>', 'OTLP/HTTP receiver port (traces, metrics, logs); 0 turns it off', '4318')
      .option(
        '--otlp-grpc-port <port>',
        'OTLP/gRPC receiver port (default: 4317 unless in use, e.g. by a Collector); 0 turns it off',
      )
      .option('--config <file>', 'gateway config (default ./tokenledger.config.yaml when present)')
      .option(
        '--upstream <name=url>',
        'upstream base URL, e.g. openai=http://127.0.0.1:9000/v1 (repeatable)',
        collect,
      ),
  ).action(async (o) => (await import('./serve.js')).serveCommand(o, out));

  const keys = program
    .command('keys')
    .description('virtual keys: attribution and provider keys for gateway callers');
  ledgerOptions(
    keys
      .command('create')
      .description('create a key; it is printed once, alone on the last line')
      .option('--team <team>')
      .option('--user <user>')
      .option('--project <project>')
      .option('--org <org>')
      .option('--agent <agent>')
      .option('--budget <usd>', 'monthly budget in USD')
      .option(
        '--store-content',
        "keep the prompt and completion text of this key's calls in the ledger (never kept otherwise)",
      )
      .option('--models <list>', 'the only models its callers may ask for: names or globs, comma-separated')
      .option('--expires <when>', 'when it stops working: a time from now (30d, 12h) or a date (2027-01-01)'),
  ).action(async (o) => {
    await (await import('./keys.js')).keysCreate(o, out);
  });
  ledgerOptions(
    keys
      .command('list', { isDefault: true })
      .description('list keys (never the keys themselves)')
      .option('--all', 'include revoked keys'),
  ).action(async (o) => (await import('./keys.js')).keysList(o, out));
  ledgerOptions(
    keys
      .command('update')
      .description(
        "change a key's monthly budget, models or expiry (a running server applies them to the next call)",
      )
      .argument('<id>')
      .option('--budget <usd>', 'monthly budget in USD')
      .option('--models <list>', 'the only models its callers may ask for (comma-separated globs), or any')
      .option('--expires <when>', 'when it stops working (30d, 2027-01-01), or never'),
  ).action(async (id: string, o) => (await import('./keys.js')).keysUpdate({ ...o, id }, out));
  ledgerOptions(
    keys.command('revoke').description('revoke a key by id (vk_…) or by the key').argument('<id>'),
  ).action(async (id: string, o) => (await import('./keys.js')).keysRevoke({ ...o, id }, out));

  const budgets = program
    .command('budgets')
    .description('spending limits per team, user, project, agent, key, model, provider or tag');
  const budgetFlags = (c: Command, adding: boolean) =>
    c
      .option(
        '--scope <dim=value>',
        'team=payments, user=…, key=vk_…, tag.repo=web (repeatable; AND)',
        collect,
      )
      .option('--period <period>', 'daily, weekly, monthly or rolling:Nd', adding ? 'monthly' : undefined)
      .addOption(
        new Option('--limit-usd <usd>', 'the limit in USD, e.g. 50 or 1200.50').makeOptionMandatory(adding),
      )
      .addOption(new Option('--action <action>', 'at the limit').choices(['alert', 'block', 'downgrade']))
      .option('--downgrade-to <model>', 'downgrade budgets: the cheaper model to send requests to')
      .option('--thresholds <percents>', 'alert thresholds, e.g. 50,80,100')
      .option('--tz <zone>', 'IANA time zone the periods start in, e.g. Europe/Berlin')
      .option('--name <name>', 'a label shown in lists and alerts');
  ledgerOptions(budgetFlags(budgets.command('add').description('add a budget'), true)).action(async (o) => {
    await (await import('./budgets.js')).budgetsAdd(o, out);
  });
  ledgerOptions(
    budgets
      .command('list', { isDefault: true })
      .description('list budgets')
      .addOption(new Option('--format <format>').choices(['table', 'json']).default('table')),
  ).action(async (o) => (await import('./budgets.js')).budgetsList(o, out));
  ledgerOptions(
    budgets
      .command('show')
      .description("a budget's spend this period, forecast, run-out date and change history")
      .argument('<id>')
      .addOption(new Option('--format <format>').choices(['table', 'json']).default('table')),
  ).action(async (id: string, o) => (await import('./budget-show.js')).budgetsShow({ ...o, id }, out));
  ledgerOptions(
    budgetFlags(budgets.command('update').description('change a budget').argument('<id>'), false),
  ).action(async (id: string, o) => (await import('./budgets.js')).budgetsUpdate({ ...o, id }, out));
  ledgerOptions(budgets.command('remove').description('remove a budget').argument('<id>')).action(
    async (id: string, o) => (await import('./budgets.js')).budgetsRemove({ ...o, id }, out),
  );
  ledgerOptions(
    budgets.command('history').description('the audit log of budget changes').argument('[id]'),
  ).action(async (id: string | undefined, o) =>
    (await import('./budgets.js')).budgetsHistory({ ...o, ...(id ? { id } : {}) }, out),
  );

  ledgerOptions(
    program
      .command('alerts')
      .description('stored alerts, newest first, with webhook delivery outcomes')
      .option('--since <when>', 'from this age (7d, 12h) or date')
      .option('--tz <zone>', 'IANA time zone (Asia/Tokyo) a --since date is read in (default UTC)')
      .addOption(
        new Option('--kind <kind>').choices([
          'budget_threshold',
          'budget_blocked',
          'anomaly',
          'runaway',
          'counters',
        ]),
      )
      .option('--limit <n>', 'at most N (default 100)')
      .addOption(new Option('--format <format>').choices(['table', 'json']).default('table')),
  ).action(async (o) => (await import('./alerts.js')).alertsCommand(o, out));

  filterOptions(
    ledgerOptions(
      program
        .command('metrics')
        .description(
          'effective cost per 1M tokens, cost per call, cache hit rate and cache savings, by group (docs/metrics.md)',
        )
        .option('--by <dims>', 'comma-separated dimensions, as for report', 'model')
        .option('--bucket <size>', 'also by time: hour, day, week or month (the trend of each metric)')
        .addOption(
          new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
        ),
    ),
  ).action(async (o) => (await import('./metrics.js')).metricsCommand(o, out));

  filterOptions(
    ledgerOptions(
      program
        .command('cache')
        .description(
          "what the gateway's response cache answered and saved: calls looked up, hits, hit rate, spent and saved",
        )
        .option('--by <dims>', 'comma-separated dimensions, as for report (default: the total alone)')
        .option('--bucket <size>', 'also by time: hour, day, week or month')
        .addOption(
          new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
        ),
    ),
  ).action(async (o) => (await import('./cache.js')).cacheCommand(o, out));

  filterOptions(
    ledgerOptions(
      program
        .command('blocks')
        .description(
          "a person's five-hour usage windows per coding agent, as Claude's and ChatGPT's plans meter them " +
            "(ccusage blocks), and the open one's pace; --since defaults to 7d",
        )
        .option(
          '--token-limit <n|max>',
          "tokens a window may use: each window's share of it, and the open one's projected share " +
            '(max: the largest window before the last)',
        )
        .option('--live', "import this machine's agent logs and redraw the open windows until interrupted")
        .option('--refresh <seconds>', 'with --live: seconds between frames (default 5)')
        .addOption(
          new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
        ),
    ),
  ).action(async (o) => (await import('./blocks.js')).blocksCommand(o, out));

  ledgerOptions(
    program
      .command('statusline')
      .description(
        "the line Claude Code draws under its prompt (settings.json statusLine): reads Claude Code's JSON on stdin, " +
          "imports this machine's agent logs, prints the session's and today's spend, the open five-hour window " +
          'and the context used (as ccusage statusline)',
      ),
    '~/.tokenledger/ledger.duckdb',
  )
    .option('--tz <zone>', "IANA time zone whose midnight starts today (default: this machine's)")
    .action(async (o) => {
      const stdin = process.stdin.isTTY
        ? ''
        : await (await import('node:stream/consumers')).text(process.stdin);
      await (await import('./statusline.js')).statuslineCommand(o, stdin, out);
    });

  ledgerOptions(
    program
      .command('runaways')
      .description('sessions (or agents) that spent more than --max-usd within --window minutes')
      .option('--since <when>', 'from this age (7d, 12h) or date', '7d')
      .option('--until <when>', 'up to this age or date')
      .option('--tz <zone>', TZ_HELP)
      .option('--where <dim=value>', 'only these events (repeatable)', collect)
      .addOption(new Option('--by <dim>').choices(['session_id', 'agent']).default('session_id'))
      .option('--max-usd <usd>', 'spend within the window that makes a runaway (default 20)')
      .option('--window <minutes>', 'the window in minutes (default 10)')
      .addOption(new Option('--format <format>').choices(['table', 'json']).default('table')),
  ).action(async (o) => (await import('./insight.js')).runawaysCommand(o, out));
  ledgerOptions(
    program
      .command('anomalies')
      .description('hours in which a team (or --by DIM) spent far above its usual')
      .option('--since <when>', 'from this age (7d, 12h) or date', '7d')
      .option('--until <when>', 'up to this age or date')
      .option('--tz <zone>', TZ_HELP)
      .option('--where <dim=value>', 'only these events (repeatable)', collect)
      .option('--by <dim>', 'the dimension spend is split by', 'team')
      .option('--threshold <z>', 'robust z an hour must reach (default 8)')
      .option('--min-usd <usd>', 'USD an hour must cost to be flagged (default 20)')
      .addOption(new Option('--format <format>').choices(['table', 'json']).default('table')),
  ).action(async (o) => (await import('./insight.js')).anomaliesCommand(o, out));

  const tokens = program
    .command('tokens')
    .description('API and dashboard tokens: admin, or viewer of one team');
  ledgerOptions(
    tokens
      .command('create')
      .description('create a token; it is printed once, alone on the last line')
      .addOption(new Option('--role <role>', 'what it may do').choices(['admin', 'viewer']).default('viewer'))
      .option('--team <team>', 'viewer tokens: see only this team'),
  ).action(async (o) => {
    await (await import('./tokens.js')).tokensCreate(o, out);
  });
  ledgerOptions(
    tokens.command('list', { isDefault: true }).description('list tokens (never the tokens themselves)'),
  ).action(async (o) => (await import('./tokens.js')).tokensList(o, out));
  ledgerOptions(tokens.command('revoke').description('revoke a token by id (tok_…)').argument('<id>')).action(
    async (id: string, o) => (await import('./tokens.js')).tokensRevoke({ ...o, id }, out),
  );

  return program;
}

/** The one place errors become exit codes: ours are one clear line; anything else is a bug worth reporting. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  // Every command that takes --prices: one given (or TOKENLEDGER_PRICES, its default) is checked before the command,
  // whether or not it prices anything.
  program.hook('preAction', (_, command) => checkPricesOption(command.opts()));
  try {
    // `npx tokenledger` alone does what a developer runs it for: imports their coding agents' logs (incrementally)
    // and prints what they spent. No demo, no server: `start` does those.
    const alone = ledgerOptionsAlone(argv.slice(2));
    if (alone !== null) await checkPricesOption(alone);
    if (alone !== null)
      await (await import('./start.js')).startCommand({ ...alone, serve: false, demo: false }, out);
    else await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof TokenledgerError) {
      err(`error ${e.code}: ${e.message}\n`);
      return 1;
    }
    err(
      `internal error: ${(e as Error)?.stack ?? String(e)}\nPlease report it at https://github.com/tokenledger/tokenledger/issues with the command you ran.\n`,
    );
    return 2;
  }
}

/**
 * pricer.ts's check of a given --prices or TOKENLEDGER_PRICES, loaded only when one is set (the pricing code is no
 * part of start-up).
 */
async function checkPricesOption(o: { prices?: string }): Promise<void> {
  if (o.prices !== undefined || process.env.TOKENLEDGER_PRICES?.trim())
    await (await import('./pricer.js')).checkPricesOption(o);
}

/** `tokenledger [--db PATH] [--prices FILE]`: the ledger options alone, as the bare command takes them; else null. */
function ledgerOptionsAlone(args: readonly string[]): { db?: string; prices?: string } | null {
  const o: { db?: string; prices?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--(db|prices)(?:=(.*))?$/.exec(args[i]!);
    const value = m?.[2] ?? args[++i];
    if (!m || !value || value.startsWith('-')) return null;
    o[m[1] as 'db' | 'prices'] = value;
  }
  return o;
}
