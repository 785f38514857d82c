import { customerHour, DAY_US, HOUR_US, localToUtc, workHour } from './calendar.js';
import { MODELS } from './models.js';
import type { DayPlan } from './plan.js';
import { Kind } from './session.js';
import { CONVERSATION_CALLS, RATES } from './volumes.js';

/**
 * The company's internal LLM apps for one day: a customer support bot, a docs RAG service (embeddings plus an
 * answer), a pull-request review bot, a sales email writer and a nightly batch classifier. Each runs in prod
 * (some in staging too) under its own API key and is attributed to its owning team; the RAG, review and email
 * apps also to the person they worked for. The support bot's staging release trials the gateway's router
 * `support-auto` (docs/router.md), which keeps most conversations on Haiku and sends the harder ones to Sonnet.
 */
export function planApps(d: DayPlan): void {
  const { rng, plan, day, weekend } = d;
  const n = plan.people.length;
  const convs = rng.poisson(n * RATES.supportConversations * d.factor);
  for (let i = 0; i < convs; i++) {
    const staging = rng.chance(0.05);
    d.add({
      kind: Kind.support,
      start: day * DAY_US + Math.round(customerHour(rng) * HOUR_US),
      calls: rng.logNormalInt(CONVERSATION_CALLS.median, CONVERSATION_CALLS.sigma, 1, 30),
      model: rng.chance(0.85) ? MODELS.haiku : MODELS.sonnet,
      routeId: staging ? 'support-auto' : null,
      sys: 3500,
      team: 'support',
      project: 'support-bot',
      agent: 'support-bot',
      sessionId: d.nextKey(),
      environment: staging ? 'staging' : 'prod',
      apiKeyId: staging ? 'ak_support_bot_staging' : 'ak_support_bot_prod',
      appVersion: staging ? '3.3.0-rc.1' : '3.2.4',
    });
  }
  const queries = rng.poisson(n * RATES.ragQueries * d.factor);
  for (let i = 0; i < queries; i++) {
    const asker = plan.people[rng.int(0, n - 1)]!;
    d.add({
      kind: Kind.rag,
      start: localToUtc(day, workHour(rng, weekend), asker.offsetMin),
      calls: 2,
      model: MODELS.gpt41mini,
      sys: 1200,
      team: 'platform',
      user: asker.user,
      project: 'docs-rag',
      agent: 'docs-rag',
      environment: 'prod',
      apiKeyId: 'ak_docs_rag_prod',
      appVersion: '1.8.0',
    });
  }
  const reviews = plan.engineers.length > 0 ? rng.poisson(n * RATES.reviews * d.factor) : 0;
  for (let i = 0; i < reviews; i++) {
    const author = plan.engineers[rng.int(0, plan.engineers.length - 1)]!;
    d.add({
      kind: Kind.review,
      start: localToUtc(day, workHour(rng, weekend), author.offsetMin),
      calls: rng.logNormalInt(CONVERSATION_CALLS.median, CONVERSATION_CALLS.sigma, 1, 15),
      model: rng.chance(0.6) ? MODELS.gpt5 : MODELS.sonnet,
      sys: 2500,
      team: 'platform',
      user: author.user,
      project: 'pr-review-bot',
      agent: 'pr-review-bot',
      taskId: `${author.project}#${rng.int(100, 9999)}`,
      environment: 'prod',
      apiKeyId: 'ak_pr_review_prod',
      appVersion: '0.9.2',
    });
  }
  const emails = plan.sales.length > 0 ? rng.poisson(n * RATES.emails * d.factor) : 0;
  for (let i = 0; i < emails; i++) {
    const rep = plan.sales[rng.int(0, plan.sales.length - 1)]!;
    const staging = rng.chance(0.1);
    d.add({
      kind: Kind.email,
      start: localToUtc(day, workHour(rng, weekend), rep.offsetMin),
      calls: 1,
      model: MODELS.gpt5mini,
      sys: 1500,
      team: 'sales-eng',
      user: rep.user,
      project: 'sales-email',
      agent: 'sales-email',
      environment: staging ? 'staging' : 'prod',
      apiKeyId: staging ? 'ak_sales_email_staging' : 'ak_sales_email_prod',
      appVersion: '2.0.1',
    });
  }
  const batchCalls = Math.ceil(n * RATES.batchCalls);
  if (batchCalls > 0) {
    // The nightly ticket classifier goes through the batch API at half price.
    d.add({
      kind: Kind.batch,
      start: day * DAY_US + 2 * HOUR_US + rng.int(0, 600) * 1_000_000,
      calls: batchCalls,
      model: MODELS.geminiFlash,
      sys: 0,
      team: 'data',
      project: 'ticket-classifier',
      agent: 'ticket-classifier',
      environment: 'prod',
      apiKeyId: 'ak_ticket_classifier_prod',
      serviceTier: 'batch',
      appVersion: '1.1.0',
    });
  }
}
