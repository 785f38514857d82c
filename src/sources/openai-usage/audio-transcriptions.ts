/**
 * One result of `/v1/organization/usage/audio_transcriptions` → one aggregate event that carries the bucket's
 * seconds of audio. whisper-1 is billed by the length of its audio, not by tokens (docs/pricing.md, "Audio billed by
 * duration"), and the completions page does not count those calls, so a saved transcriptions page is spend.
 * Fields (OpenAI API reference, "Audio transcriptions usage object"; openai/openai-ruby
 * lib/openai/models/admin/organization/usage_web_search_calls_response.rb): `seconds` ("The number of seconds
 * processed", a number), `num_model_requests`, and the group keys `project_id`, `user_id`, `api_key_id`, `model`.
 */
import { audioMsOfSeconds } from '../../ledger/audio-ms.js';
import type { UnpricedEvent } from '../../ledger/event.js';
import { childPath, FIELD_SKIP, type Obj, RecordError } from '../json-fields.js';
import type { Bucket } from '../provider-records.js';
import type { ParseContext } from '../source.js';
import { groupedEvent } from './completions.js';

export function audioTranscriptionsEvent(
  r: Obj,
  bucket: Bucket,
  ref: string,
  ctx: ParseContext,
): UnpricedEvent {
  const ms = audioMsOfSeconds(r.value.seconds);
  if (ms === null) {
    const path = childPath(r.path, 'seconds');
    throw new RecordError(
      FIELD_SKIP.badRecord,
      `${path}: expected a non-negative number of seconds, got ${JSON.stringify(r.value.seconds) ?? 'nothing'}`,
      path,
    );
  }
  const e = groupedEvent('audio_transcriptions', r, bucket, ref, ctx, []);
  // The gateway's transcriptions are `transcription` calls: the same calls, reported by the provider.
  e.operation = 'transcription';
  e.audio_ms = ms;
  return e;
}
