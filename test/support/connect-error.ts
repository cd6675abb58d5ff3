import { ConnectError } from "@connectrpc/connect";

/** Awaits a call that must fail and returns its error; a call that succeeds fails the test. */
export async function expectConnectError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}
