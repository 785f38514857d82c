import { useApi } from '../use-api';

function Copy({ text }: { text: string }) {
  return (
    <div class="copy">
      <pre>
        <code>{text}</code>
      </pre>
      <button
        type="button"
        onClick={() => navigator.clipboard?.writeText(text)}
        aria-label={`Copy: ${text.split('\n')[0]}`}
      >
        Copy
      </button>
    </div>
  );
}

interface Receivers {
  otlp_http_port: number | null;
  otlp_grpc_port: number | null;
}

/** The exporter settings for the receivers this server runs, on the host the page was loaded from. */
function otlpLines(r: Receivers): string {
  // The receivers speak plain HTTP whatever the page came over.
  const at = (port: number) => `http://${location.hostname}:${port}`;
  const lines: string[] = [];
  if (r.otlp_http_port !== null) lines.push(`export OTEL_EXPORTER_OTLP_ENDPOINT=${at(r.otlp_http_port)}`);
  if (r.otlp_grpc_port !== null)
    lines.push(
      `${lines.length > 0 ? '# or over gRPC:\n' : ''}export OTEL_EXPORTER_OTLP_ENDPOINT=${at(r.otlp_grpc_port)}\nexport OTEL_EXPORTER_OTLP_PROTOCOL=grpc`,
    );
  return lines.join('\n');
}

/** What a new user sees on an empty ledger: the three ways to get data in. */
export function EmptyState() {
  const origin = location.origin;
  const receivers = useApi<Receivers>('/api/receivers');
  const otlp = receivers.data;
  return (
    <section class="panel empty" aria-labelledby="empty-title" data-testid="empty-state">
      <h1 id="empty-title">No usage in the ledger yet</h1>
      <p>Get data in one of three ways:</p>
      <ol class="ways">
        <li>
          <h2>1. Send calls through the gateway</h2>
          <p>Point your OpenAI or Anthropic SDK at this server; every call is metered and priced.</p>
          <Copy text={`export OPENAI_BASE_URL=${origin}/v1\nexport ANTHROPIC_BASE_URL=${origin}`} />
        </li>
        <li>
          <h2>2. Send OpenTelemetry</h2>
          {receivers.error !== null ? (
            <p class="error" role="alert">
              Could not ask this server which ports its OpenTelemetry receivers listen on ({receivers.error}).
              Unless started with <code>--otlp-port</code>, OTLP/HTTP is on 4318 and OTLP/gRPC on 4317.
            </p>
          ) : otlp === null ? (
            <p class="muted">Loading…</p>
          ) : otlp.otlp_http_port === null && otlp.otlp_grpc_port === null ? (
            <p>
              This server runs with its OpenTelemetry receivers off: start it without{' '}
              <code>--otlp-port 0</code> to take GenAI spans and the coding agents' telemetry.
            </p>
          ) : (
            <>
              <p>Apps and agents that emit GenAI spans can export them over OTLP.</p>
              <Copy text={otlpLines(otlp)} />
            </>
          )}
        </li>
        <li>
          <h2>3. Import logs and usage exports</h2>
          <p>
            The coding agents' logs on this machine (Claude Code, Codex and Gemini CLI: <code>auto</code>{' '}
            finds each), a provider's usage export, or canonical records.
          </p>
          <Copy
            text={
              'tokenledger import auto\ntokenledger import openai-usage usage.json\ntokenledger import jsonl usage.jsonl'
            }
          />
        </li>
      </ol>
      <p class="muted">
        Just exploring? <code>tokenledger demo</code> fills the ledger with a made-up company.
      </p>
    </section>
  );
}
