import { withoutLongValues } from '../../skim-json.js';
import { eachEventSpan, parseEvent, SseSplitter } from '../../sse.js';
import {
  emptyFacts,
  jsonOrNull,
  type ResponseFacts,
  type StreamError,
  type StreamMeter,
} from '../provider.js';
import { openAiImageFacts } from './image-usage.js';
import { streamErrorType } from './stream-meter.js';

const USAGE = Buffer.from('"usage"');
const ERROR = Buffer.from('"error"');

/**
 * Meters an Images API stream (`stream: true`, GPT image models): `image_generation.partial_image` events (edits:
 * `image_edit.partial_image`), then `image_generation.completed` (`image_edit.completed`) with the final image and
 * the call's usage. The events are base64 images, megabytes each: none is kept, and only one that can carry usage
 * or an error is decoded (base64 has no quotes, so `"usage"` or `"error"` in an event's bytes is a member's name).
 * The stream reaches the client unchanged.
 */
export class OpenAiImageStreamMeter implements StreamMeter {
  private readonly splitter = new SseSplitter();
  private result: ResponseFacts = emptyFacts();
  private failed: string | null = null;

  push(chunk: Buffer): Buffer {
    const done = this.splitter.completed(chunk);
    if (done.includes(USAGE) || done.includes(ERROR))
      eachEventSpan(done, (start, end) => {
        const bytes = done.subarray(start, end);
        // The completed event carries the final image too: read without it.
        if (bytes.includes(USAGE) || bytes.includes(ERROR))
          this.read(withoutLongValues(bytes).toString('utf8'));
      });
    return chunk;
  }

  private read(raw: string): void {
    const parsed = jsonOrNull(parseEvent(raw).data);
    const facts = openAiImageFacts(parsed);
    if (facts.usage !== null) this.result = facts;
    else this.failed = streamErrorType(parsed) ?? this.failed;
  }

  end(): null {
    this.splitter.end();
    return null;
  }

  facts(): ResponseFacts {
    return this.result;
  }

  error(): StreamError | null {
    return this.failed === null ? null : { type: this.failed, usageFinal: false };
  }

  usageComplete(): boolean {
    return this.result.usage !== null;
  }

  /**
   * An image has no text to count: a stream left before its completed event is recorded with no output tokens
   * (docs/gateway.md, "Images").
   */
  outputText(): string {
    return '';
  }
}
