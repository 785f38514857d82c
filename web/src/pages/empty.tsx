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

/** What a new user sees on an empty ledger: the three ways to get data in. */
export function EmptyState() {
  const origin = location.origin;
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
          <p>Apps and agents that emit GenAI spans can export them over OTLP/HTTP.</p>
          <Copy text={'export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318'} />
        </li>
        <li>
          <h2>3. Import logs and usage exports</h2>
          <p>Coding-agent logs on this machine, or provider usage exports.</p>
          <Copy
            text={
              'tokenledger import claude-code\ntokenledger import codex\ntokenledger import jsonl usage.jsonl'
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
