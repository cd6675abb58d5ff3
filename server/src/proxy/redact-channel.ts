import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  type PolicyService,
  type RedactStreamRequest,
  RedactStreamRequestSchema,
  type RedactStreamStartSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";

/** One stream of model text being masked by Vigil's RedactStream. */
export interface RedactChannel {
  /** Queues model text; its masked form arrives later through `onText`. */
  push(text: string): void;
  /**
   * No more text: resolves once everything held back has come through `onText`; rejects when
   * the stream failed, in which case the text not yet delivered is lost, never passed raw.
   */
  end(): Promise<void>;
}

/**
 * Opens a channel that delivers masked text to `onText` and calls `onError` once, as soon as
 * it fails; how the relay gets channels.
 */
export type OpenRedactChannel = (
  onText: (masked: string) => void,
  onError: (error: unknown) => void,
) => RedactChannel;

/** Options for {@link openRedactChannel}. */
export interface RedactChannelOptions {
  policy: Client<typeof PolicyService>;
  /** The stream's first message: kind, profile, principal, registered secrets. */
  start: MessageInitShape<typeof RedactStreamStartSchema>;
  /** Aborts the call, e.g. when the caller goes away. */
  signal: AbortSignal;
  onText: (masked: string) => void;
  /** Called once, as soon as the stream fails, so the relay can stop without waiting for `end`. */
  onError: (error: unknown) => void;
}

/**
 * Characters per chunk message. The server refuses chunks over 64 KiB; 16 Ki UTF-16 units are
 * at most 48 KiB of UTF-8.
 */
const maxChunkChars = 16 * 1024;

/**
 * Opens a RedactStream call and feeds it as text is pushed. Text queued while the previous
 * message was being sent goes out together, so a fast stream of tiny deltas costs few messages.
 */
export function openRedactChannel(options: RedactChannelOptions): RedactChannel {
  let queued = "";
  let ended = false;
  let wake: (() => void) | undefined;

  async function* requests(): AsyncGenerator<RedactStreamRequest> {
    yield create(RedactStreamRequestSchema, { frame: { case: "start", value: options.start } });
    for (;;) {
      if (queued !== "") {
        const chunk = takeChunk(queued);
        queued = queued.slice(chunk.length);
        yield create(RedactStreamRequestSchema, { frame: { case: "chunk", value: chunk } });
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  }

  // An aborted call must not leave the request generator waiting for text that never comes.
  options.signal.addEventListener(
    "abort",
    () => {
      ended = true;
      wake?.();
    },
    { once: true },
  );
  const done = (async () => {
    for await (const res of options.policy.redactStream(requests(), { signal: options.signal })) {
      if (res.chunk !== "") options.onText(res.chunk);
    }
  })();
  done.catch(options.onError);

  return {
    push(text) {
      if (ended) throw new Error("RedactChannel: push after end");
      queued += text;
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
      return done;
    },
  };
}

/** The first `maxChunkChars` of `text`, never ending between the halves of a surrogate pair. */
function takeChunk(text: string): string {
  if (text.length <= maxChunkChars) return text;
  const last = text.charCodeAt(maxChunkChars - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChunkChars - 1 : maxChunkChars);
}
