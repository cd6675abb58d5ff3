import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { LimitExceededError } from "../errors.js";
import { findDeepJson } from "../limits/json-depth.js";

/** Options for {@link createMessageDepthInterceptor}. */
export interface MessageDepthOptions {
  /** Deepest nesting of objects and arrays in a request's JSON fields. Default 32. */
  maxJsonDepth?: number;
  /** Counts refusals (`json_depth`). */
  onRefused?: (limit: string) => void;
}

/**
 * Refuses request messages whose JSON fields (`context`, `attributes`, `params`: Struct,
 * Value, ListValue, in any nested message) nest deeper than `maxJsonDepth`, before a handler
 * shapes them into policy input, audit entries or masking work, each of which walks them.
 * Streamed requests are checked one message at a time as the handler reads them.
 *
 * protobuf-es already refuses messages nested past its recursion limit of 100 while decoding
 * (about 48 JSON levels in the binary format, where Struct and Value each count, 97 in JSON),
 * with its own error; this limit sits below that, so callers see one that names it.
 */
export function createMessageDepthInterceptor(options: MessageDepthOptions = {}): Interceptor {
  const maxDepth = options.maxJsonDepth ?? 32;
  const check = (schema: DescMessage, message: Message) => {
    const field = findDeepJson(schema, message, maxDepth);
    if (field === undefined) return;
    options.onRefused?.("json_depth");
    throw new LimitExceededError({
      limit: "json_depth",
      subject: field,
      description: "JSON depth limit",
      value: `${maxDepth} levels`,
      flag: "--max-json-depth",
      advice: "flatten the document",
    });
  };
  return (next) => async (request) => {
    const schema = request.method.input;
    if (!request.stream) {
      check(schema, request.message);
      return next(request);
    }
    const messages = request.message;
    return next({
      ...request,
      message: (async function* () {
        for await (const message of messages) {
          check(schema, message);
          yield message;
        }
      })(),
    });
  };
}
