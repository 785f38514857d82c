/**
 * `tokenledger import openai-usage FILE…`: saved pages of the OpenAI Admin API — `/v1/organization/usage/completions`,
 * `…/usage/embeddings`, `…/usage/web_searches` and `…/usage/audio_transcriptions` (aggregate usage events) and
 * `/v1/organization/costs`
 * (provider-reported costs), in any mix, pretty-printed or one page per line. Each result is classified by its
 * `object` (or, when a hand-made file drops it, its fields).
 */
import { wrongSourceMessage } from '../export-kind.js';
import { createDocumentReader, type Locate } from '../json-documents.js';
import {
  asObj,
  epochSecondsAt,
  FIELD_SKIP,
  guard,
  isObject,
  type Obj,
  optArrayAt,
  RecordError,
} from '../json-fields.js';
import { assertBucketEnded, type Bucket } from '../provider-records.js';
import type { LineSource, ParseContext, Sink } from '../source.js';
import { audioTranscriptionsEvent } from './audio-transcriptions.js';
import { completionsEvent, OPENAI_USAGE_SOURCE } from './completions.js';
import { costRecord } from './costs.js';
import { embeddingsEvent } from './embeddings.js';
import { webSearchesEvent } from './web-searches.js';

const COMPLETIONS = 'organization.usage.completions.result';
const COSTS = 'organization.costs.result';
const EMBEDDINGS = 'organization.usage.embeddings.result';
const WEB_SEARCHES = 'organization.usage.web_searches.result';
const AUDIO_TRANSCRIPTIONS = 'organization.usage.audio_transcriptions.result';

/**
 * The other Admin API usage endpoints (API reference, "Usage"; openai/openai-ruby
 * lib/openai/models/admin/organization/usage_web_search_calls_response.rb lists every result object): saved by
 * mistake or on purpose, their results count images, characters, bytes, sessions or file search calls — nothing
 * the ledger prices (moderations are free) — so they are refused, saying which endpoint they came from.
 */
const OTHER_ENDPOINTS: Record<string, { endpoint: string; counts: string }> = {
  'organization.usage.moderations.result': { endpoint: 'moderations', counts: 'moderation tokens (free)' },
  'organization.usage.images.result': { endpoint: 'images', counts: 'images' },
  'organization.usage.audio_speeches.result': { endpoint: 'audio_speeches', counts: 'characters' },
  'organization.usage.vector_stores.result': { endpoint: 'vector_stores', counts: 'bytes stored' },
  'organization.usage.code_interpreter_sessions.result': {
    endpoint: 'code_interpreter_sessions',
    counts: 'sessions',
  },
  'organization.usage.file_searches.result': { endpoint: 'file_searches', counts: 'file search calls' },
};

export const openaiUsageSource: LineSource = {
  id: OPENAI_USAGE_SOURCE,
  open(ctx, sink) {
    return createDocumentReader(ctx.path, sink, (value, at) => readPage(value, at, ctx, sink));
  },
};

function readPage(value: unknown, at: Locate, ctx: ParseContext, sink: Sink): void {
  const ref = at('');
  guard(sink, at, () => {
    const wrong = wrongSourceMessage(value, OPENAI_USAGE_SOURCE);
    if (wrong !== null) throw new RecordError(FIELD_SKIP.unknownDocument, wrong);
    const page = asObj(value, '');
    const data = optArrayAt(page, 'data');
    if (data === null || (page.value.object !== undefined && page.value.object !== 'page')) {
      throw new RecordError(
        FIELD_SKIP.unknownDocument,
        'not an OpenAI usage or costs page (expected {"object": "page", "data": [buckets]}); save the API response as is',
      );
    }
    data.forEach((b, i) => {
      guard(sink, at, () => {
        const o = asObj(b, `data[${i}]`);
        const bucket: Bucket = { start: epochSecondsAt(o, 'start_time'), end: epochSecondsAt(o, 'end_time') };
        // The API names the array `results`; a few client libraries wrote `result`.
        const results = optArrayAt(o, 'results') ?? optArrayAt(o, 'result') ?? [];
        if (results.length > 0) assertBucketEnded(bucket, ctx, o.path);
        const key = Array.isArray(o.value.results) ? 'results' : 'result';
        results.forEach((r, j) => {
          guard(sink, at, () => readResult(asObj(r, `data[${i}].${key}[${j}]`), bucket, ref, ctx, sink));
        });
      });
    });
  });
}

function readResult(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext, sink: Sink): void {
  const object = r.value.object;
  if (object === COSTS || (object === undefined && isObject(r.value.amount))) {
    sink.cost?.(costRecord(OPENAI_USAGE_SOURCE, r, bucket, ref, ctx));
  } else if (object === COMPLETIONS || (object === undefined && 'input_tokens' in r.value)) {
    sink.event(completionsEvent(r, bucket, ref, ctx));
  } else if (object === EMBEDDINGS) {
    sink.event(embeddingsEvent(r, bucket, ref, ctx));
  } else if (object === WEB_SEARCHES) {
    sink.event(webSearchesEvent(r, bucket, ref, ctx));
  } else if (object === AUDIO_TRANSCRIPTIONS) {
    sink.event(audioTranscriptionsEvent(r, bucket, ref, ctx));
  } else {
    const other = typeof object === 'string' ? OTHER_ENDPOINTS[object] : undefined;
    const what = other
      ? ` (a page of /v1/organization/usage/${other.endpoint}, which counts ${other.counts}, not tokens the ledger prices)`
      : '';
    throw new RecordError(
      FIELD_SKIP.unsupportedRecord,
      `${r.path}.object: ${JSON.stringify(object)} is not imported${what}; only usage/completions, usage/embeddings, usage/web_searches, usage/audio_transcriptions and costs pages are`,
      `${r.path}.object`,
    );
  }
}
