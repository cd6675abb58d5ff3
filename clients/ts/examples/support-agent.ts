import {
  ContentKind,
  createVigilClient,
  PrincipalKind,
  type VigilClientOptions,
} from "../src/index.js";

/**
 * A support agent whose model calls go through Vigil. `callModel` is your LLM SDK call;
 * `vigil` is e.g. `{ baseUrl: "http://127.0.0.1:8444", token: "vgl_…" }`.
 */
export function createSupportAgent(
  vigil: VigilClientOptions,
  callModel: (prompt: string) => Promise<string>,
) {
  const client = createVigilClient(vigil);
  return {
    /** The model's answer, masked; throws `VigilDeniedError` or `VigilUnavailableError`. */
    async ask(question: string, sessionId: string): Promise<string> {
      const { result } = await client.guard(
        {
          principal: { id: "agent:support-bot", kind: PrincipalKind.AGENT },
          action: "llm.complete",
          resource: { kind: "llm", id: "openai:gpt-4o" },
          content: { kind: ContentKind.PROMPT, text: question },
          sessionId,
        },
        // Runs only once Vigil allows, with secrets in the prompt already masked.
        (maskedPrompt) => callModel(maskedPrompt),
      );
      return result;
    },
    close: () => client.close(),
  };
}
