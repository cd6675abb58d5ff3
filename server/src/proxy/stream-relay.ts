import type { StreamPart } from "./llm-api.js";
import type { OpenRedactChannel, RedactChannel } from "./redact-channel.js";
import type { SseEvent } from "./server-sent-events.js";

/** Options for {@link createStreamRelay}. */
export interface StreamRelayOptions {
  /** Splits an upstream event into parts (the API's `decodeEvent`). Required. */
  decode: (event: SseEvent) => StreamPart[];
  /** Opens a RedactStream channel for one stream of model text. Required. */
  openChannel: OpenRedactChannel;
  /** Masks an unknown event's JSON data whole (unary Redact). Required. */
  maskEvent: (data: string) => Promise<string>;
  /** Sends an event to the caller. Required. */
  write: (event: SseEvent) => void;
  /** Called once, when a channel fails, so the caller can stop reading the upstream at once. */
  onFailure?: (error: unknown) => void;
}

/** Relays a streamed answer event by event, model text only ever in masked form. */
export interface StreamRelay {
  /**
   * Relays one upstream event: text goes into its channel, other events are sent in order once
   * the channels they close are flushed. Rejects when masking failed; stop relaying then.
   */
  push(event: SseEvent): Promise<void>;
  /** The upstream ended: flushes every open channel. */
  finish(): Promise<void>;
  /** The masked text sent so far, channel after channel in the order they opened. */
  transcript(): string;
  /** Why a channel failed, once one has; undefined until then. */
  failure(): unknown;
}

interface OpenChannel {
  channel: RedactChannel;
  render: (masked: string) => SseEvent;
}

/**
 * Creates a relay. Each text channel (a choice's content, a tool call, a content block) has
 * its own RedactStream, so a secret split over many small deltas is seen whole; the masked
 * text comes back in pieces, each sent as an event shaped like the channel's latest delta.
 * Nothing is sent from a failed channel: the text it still held is dropped.
 */
export function createStreamRelay(options: StreamRelayOptions): StreamRelay {
  const open = new Map<string, OpenChannel>();
  const texts = new Map<string, string>();
  let failure: { error: unknown } | undefined;

  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    options.onFailure?.(error);
  };
  const check = () => {
    if (failure) throw failure.error;
  };
  const channelFor = (name: string, render: (masked: string) => SseEvent): OpenChannel => {
    const existing = open.get(name);
    if (existing) {
      existing.render = render;
      return existing;
    }
    const entry: OpenChannel = {
      render,
      channel: options.openChannel((masked) => {
        texts.set(name, (texts.get(name) ?? "") + masked);
        options.write(entry.render(masked));
      }, fail),
    };
    open.set(name, entry);
    return entry;
  };
  const close = async (which: (channel: string) => boolean) => {
    const closing = [...open].filter(([name]) => which(name));
    for (const [name] of closing) open.delete(name);
    await Promise.all(
      closing.map(([, entry]) =>
        entry.channel.end().catch((error: unknown) => {
          fail(error);
        }),
      ),
    );
    check();
  };
  const handle = async (part: StreamPart) => {
    if (part.type === "text") {
      channelFor(part.channel, part.render).channel.push(part.text);
      return;
    }
    if (part.closes) await close(part.closes);
    if (part.type === "pass") {
      options.write(part.event);
      return;
    }
    const data = await options.maskEvent(part.event.data);
    check();
    options.write({ ...part.event, data });
  };

  return {
    async push(event) {
      check();
      for (const part of options.decode(event)) {
        await handle(part);
        check();
      }
    },
    async finish() {
      check();
      await close(() => true);
    },
    transcript: () => [...texts.values()].join("\n\n"),
    failure: () => failure?.error,
  };
}
