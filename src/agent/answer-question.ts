import type { ModelGateway } from '../llm/model-gateway.ts';
import type { ThreadMessage } from '../llm/types.ts';
import type { ReplyRenderers } from './reply-renderers.ts';
import type { RetrievedPassages } from './retrieve-passages.ts';
import type { ThinkOutcome } from './run-steps.ts';

/**
 * A grounded answer: the model (or its fallback) cites the retrieved passages by number; with no
 * model the gateway returns the top passages themselves, labelled. With nothing retrieved, the
 * answer is a plain "I don't know" and the model is not asked at all.
 */
export async function answerQuestion(
  input: {
    runId: string;
    userId: string;
    correlationId: string;
    question: string;
    signal: AbortSignal;
    /** Earlier messages of the Slack thread, passed to the model as untrusted context. */
    thread?: ThreadMessage[];
  },
  retrieved: RetrievedPassages,
  deps: { gateway: ModelGateway; render: ReplyRenderers; note?: string },
): Promise<ThinkOutcome> {
  if (retrieved.hits.length === 0) {
    return {
      kind: 'answer',
      reply: deps.render.unknown(input.runId, input.question),
      detail: { known: false },
    };
  }
  const result = await deps.gateway.answer({
    runId: input.runId,
    userId: input.userId,
    correlationId: input.correlationId,
    signal: input.signal,
    question: input.question,
    hits: retrieved.hits,
    ...(input.thread && input.thread.length > 0 ? { thread: input.thread } : {}),
  });
  const usage = {
    model: result.model ?? 'none',
    promptVersion: result.promptVersion,
    costUsd: result.costUsd,
  };
  if (!result.answer.known) {
    return {
      kind: 'answer',
      reply: deps.render.unknown(input.runId, input.question),
      usage,
      detail: { known: false },
    };
  }
  const text = deps.note ? `${result.answer.text}\n\n_${deps.note}_` : result.answer.text;
  const reply = deps.render.answer({
    runId: input.runId,
    text,
    citations: result.answer.citations.map((c) => ({
      n: c.n,
      source: c.source,
      ...(c.heading ? { heading: c.heading } : {}),
      ...(c.link ? { link: c.link } : {}),
    })),
    mode: result.mode,
  });
  return {
    kind: 'answer',
    reply,
    usage,
    detail: { known: true, mode: result.mode, chunkIds: result.answer.citations.map((c) => c.chunkId) },
  };
}
