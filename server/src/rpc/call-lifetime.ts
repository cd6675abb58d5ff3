import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";

/**
 * Runs a call and invokes `done` once it is over: when a unary answer or an error comes back,
 * or, for a response stream, when the stream ends, fails, or is abandoned (the client cancels
 * and Connect calls `return`). `done` runs exactly once, so a slot taken for the call is given
 * back once however it ends, and a stream holds it until its last message, not its first.
 */
export async function untilCallEnds<R extends UnaryResponse | StreamResponse>(
  run: () => Promise<R>,
  done: () => void,
): Promise<R> {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    done();
  };
  let response: R;
  try {
    response = await run();
  } catch (error) {
    end();
    throw error;
  }
  if (!response.stream) {
    end();
    return response;
  }
  return { ...response, message: endingWith(response.message, end) };
}

/**
 * Wraps the messages of a response stream so `end` runs when iteration finishes by any path.
 * A plain iterator object rather than a generator: a generator that has not started skips its
 * `finally` on `return()`, and a stream abandoned before its first message would keep its slot.
 */
function endingWith<T>(messages: AsyncIterable<T>, end: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inner = messages[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const result = await inner.next();
            if (result.done) end();
            return result;
          } catch (error) {
            end();
            throw error;
          }
        },
        async return(value?: unknown) {
          end();
          return (await inner.return?.(value)) ?? { done: true, value: undefined };
        },
        async throw(error?: unknown) {
          end();
          if (inner.throw) return inner.throw(error);
          throw error;
        },
      };
    },
  };
}
