/**
 * `tokenledger import cursor FILE…`: saved responses of the Cursor Admin API `POST /teams/filtered-usage-events`
 * (`{usageEvents: [...], pagination, period}`), pretty-printed or one response per line. Each usage event is one
 * request; Cursor's `totalCents` is kept as the provider-reported cost beside the one we compute.
 */
import { wrongSourceMessage } from '../export-kind.js';
import { createDocumentReader } from '../json-documents.js';
import { asObj, FIELD_SKIP, guard, optArrayAt, RecordError } from '../json-fields.js';
import type { LineSource } from '../source.js';
import { CURSOR_SOURCE, cursorEvent } from './usage-event.js';

export const cursorSource: LineSource = {
  id: CURSOR_SOURCE,
  open(ctx, sink) {
    return createDocumentReader(ctx.path, sink, (value, at) => {
      const ref = at('');
      guard(sink, at, () => {
        const wrong = wrongSourceMessage(value, CURSOR_SOURCE);
        if (wrong !== null) throw new RecordError(FIELD_SKIP.unknownDocument, wrong);
        const list = optArrayAt(asObj(value, ''), 'usageEvents');
        if (list === null) {
          throw new RecordError(
            FIELD_SKIP.unknownDocument,
            'not a Cursor filtered-usage-events response (expected {"usageEvents": [...]}); save the API response as is',
          );
        }
        list.forEach((x, i) => {
          guard(sink, at, () => sink.event(cursorEvent(asObj(x, `usageEvents[${i}]`), ref, ctx)));
        });
      });
    });
  },
};
