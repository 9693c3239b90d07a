import type { ActionRegistry } from '../actions/action-registry.ts';
import type { EffectLedger } from '../actions/effect-ledger.ts';
import { evaluateProposal } from '../actions/evaluate-proposal.ts';
import { type ExecuteDeps, executeAction } from '../actions/execute-action.ts';
import { getApproval } from '../approvals/approval-rows.ts';
import { createApproval } from '../approvals/create-approval.ts';
import type { Database } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import type { ModelGateway } from '../llm/model-gateway.ts';
import type { ThreadMessage } from '../llm/types.ts';
import { parseExplicitCommand } from '../policy/parse-explicit-command.ts';
import type { Policy, PolicyContext, Decision as PolicyDecision } from '../policy/policy-types.ts';
import type { Proposal } from '../policy/proposal.ts';
import { answerQuestion } from './answer-question.ts';
import { approvalCardView } from './approval-card-view.ts';
import type { ReplyRenderers } from './reply-renderers.ts';
import { type PassageSearch, type RetrievedPassages, retrievePassages } from './retrieve-passages.ts';
import type { Run } from './run-record.ts';
import type { Decision, ProposalLike, RunSteps, StepContext, ThinkOutcome } from './run-steps.ts';

/**
 * The real pipeline behind the run processor: retrieval, the model gateway (or an explicit
 * command), the pure policy, approvals and the action executors. What each run is (a question,
 * an explicit command, a request in plain words) comes from its origin, set when it was stored.
 */

export type RunKind = 'ask' | 'do' | 'request';

/** Run origins are `<surface>:<kind>`, e.g. `command:ask`, `mention:request`, `dm:request`. */
export function runKindOf(run: Pick<Run, 'origin'>): RunKind {
  const kind = run.origin.split(':')[1];
  return kind === 'ask' || kind === 'do' ? kind : 'request';
}

export interface PipelineDeps {
  db: Database;
  search: PassageSearch;
  gateway: ModelGateway;
  registry: ActionRegistry;
  /** The policy in force now (reloaded when its file changes). */
  policy: () => Policy;
  ledger: EffectLedger;
  beforeEffect: ExecuteDeps['beforeEffect'];
  /** Slack user groups the user belongs to, for policy conditions on the requester. */
  groupsOf: (userId: string) => Promise<string[]>;
  render: ReplyRenderers;
  /** Earlier messages of the request's Slack thread (untrusted context); none when absent. */
  threadOf?: (run: Run) => Promise<ThreadMessage[]>;
  now?: () => Date;
}

const NO_MODEL_ACTION_NOTE =
  'No model is available, so I can only answer from documents; for actions use `/agent do <action> key=value …`.';

export function createPipelineSteps(deps: PipelineDeps): RunSteps {
  const now = deps.now ?? (() => new Date());

  async function policyContext(run: Run): Promise<Omit<PolicyContext, 'risk'>> {
    const requester = run.userId ?? 'unknown';
    return { requester, requesterGroups: await deps.groupsOf(requester), channel: run.channelId ?? 'none' };
  }

  const caller = (ctx: StepContext) => ({
    runId: ctx.run.id,
    userId: ctx.run.userId ?? 'unknown',
    correlationId: ctx.run.correlationId,
    signal: ctx.signal,
  });

  async function think(ctx: StepContext): Promise<ThinkOutcome> {
    const { run } = ctx;
    const kind = runKindOf(run);
    const retrieved = (run.context.retrieval as RetrievedPassages | undefined) ?? {
      query: run.text,
      mode: 'none',
      notice: undefined,
      hits: [],
    };
    if (kind === 'do') {
      const parsed = parseExplicitCommand(run.text);
      if (!parsed.ok)
        return { kind: 'answer', reply: { text: `I could not read that command: ${parsed.reason}` } };
      return { kind: 'proposal', proposal: toProposalLike(parsed.proposal) };
    }
    const thread = deps.threadOf ? await deps.threadOf(run) : [];
    const asked = { ...caller(ctx), question: run.text, thread };
    if (kind === 'ask') return answerQuestion(asked, retrieved, deps);
    const triage = await deps.gateway.triage({ ...caller(ctx), text: run.text, thread });
    if (triage.mode === 'no-model') {
      return answerQuestion(asked, retrieved, { ...deps, note: NO_MODEL_ACTION_NOTE });
    }
    if (triage.triage.kind !== 'action') return answerQuestion(asked, retrieved, deps);
    const proposed = await deps.gateway.propose({
      ...caller(ctx),
      thread,
      request: run.text,
      actions: deps.registry.tools(),
      hits: retrieved.hits,
    });
    const usage = {
      model: proposed.model ?? 'none',
      promptVersion: proposed.promptVersion,
      costUsd: proposed.costUsd,
    };
    if (!proposed.proposal) {
      return {
        kind: 'answer',
        usage,
        reply: { text: `I could not turn that into an action I am allowed to propose: ${proposed.declined}` },
      };
    }
    const source = proposed.mode === 'fallback' ? 'fallback_model' : 'model';
    const proposal: Proposal = {
      action: proposed.proposal.action,
      params: proposed.proposal.params as Proposal['params'],
      source,
      ...(proposed.proposal.rationale ? { rationale: proposed.proposal.rationale } : {}),
    };
    return { kind: 'proposal', proposal: toProposalLike(proposal), usage };
  }

  async function decide(ctx: StepContext, proposal: ProposalLike): Promise<Decision> {
    const policy = deps.policy();
    const evaluation = evaluateProposal(fromProposalLike(proposal), await policyContext(ctx.run), {
      registry: deps.registry,
      policy,
      now: now(),
    });
    if (evaluation.kind === 'rejected') {
      return {
        outcome: 'deny',
        ruleId: 'invalid-proposal',
        reason: evaluation.reason,
        policyVersion: policy.hash,
      };
    }
    const d = evaluation.decision;
    return {
      outcome: d.decision,
      ruleId: d.ruleId ?? 'no-rule-matched',
      reason: d.reason,
      policyVersion: d.policyHash,
      approval: { decision: d, decidedAt: now().toISOString() },
    };
  }

  return {
    async retrieve(ctx) {
      if (runKindOf(ctx.run) === 'do')
        return { query: ctx.run.text, mode: 'none', notice: undefined, hits: [] };
      return retrievePassages(deps.search, ctx.run.text);
    },
    think,
    decide,
    async escalate(ctx, decision, tx) {
      const { run } = ctx;
      const proposal = fromProposalLike(run.context.proposal as ProposalLike);
      const policyDecision = (decision.approval as { decision: PolicyDecision } | undefined)?.decision;
      if (!policyDecision)
        throw new SluiceError('internal', `run ${run.id} escalated without a policy decision`);
      const approval = await createApproval(tx, {
        proposal,
        decision: policyDecision,
        requester: run.userId ?? 'unknown',
        channel: run.channelId ?? 'none',
        runId: run.id,
        now: now(),
      });
      const risk = deps.registry.get(proposal.action)?.risk ?? 'high';
      // A new approval: pending, no votes, its run this one.
      const card = deps.render.approvalCard(approvalCardView(approval, risk));
      return { card };
    },
    async execute(ctx, proposalLike, call) {
      const { run } = ctx;
      const proposal = fromProposalLike(proposalLike);
      const approvalId = run.context.approval?.approvalId;
      const authorization = approvalId
        ? { kind: 'approval' as const, approval: await loadApprovedApproval(deps.db, approvalId) }
        : {
            kind: 'policy' as const,
            policy: deps.policy(),
            context: await policyContext(run),
            decidedAt: new Date(
              (run.context.decision?.approval as { decidedAt?: string } | undefined)?.decidedAt ?? now(),
            ),
          };
      const outcome = await executeAction(
        {
          proposal,
          authorization,
          context: {
            runId: run.id,
            step: call.idempotencyKey.split(':').pop() ?? 'execute',
            requester: run.userId ?? 'unknown',
            channel: run.channelId ?? 'none',
            correlationId: run.correlationId,
          },
        },
        { registry: deps.registry, ledger: deps.ledger, beforeEffect: deps.beforeEffect },
      );
      const summary = outcome.result?.summary ?? outcome.error ?? 'no result';
      const verb = outcome.ok ? '✅ Done' : '⚠️ Failed';
      return {
        ok: outcome.ok,
        result: { status: outcome.status, summary, data: outcome.result?.data ?? null, error: outcome.error },
        reply: { text: `${verb}: \`${proposal.action}\`: ${summary} (run \`${run.id}\`)` },
      };
    },
  };
}

async function loadApprovedApproval(db: Database, approvalId: string) {
  const approval = await getApproval(db, approvalId);
  if (!approval) throw new SluiceError('not_found', `approval ${approvalId} does not exist`);
  return approval;
}

function toProposalLike(p: Proposal): ProposalLike {
  return {
    action: p.action,
    input: p.params,
    source: p.source,
    ...(p.rationale ? { rationale: p.rationale } : {}),
  };
}

function fromProposalLike(p: ProposalLike): Proposal {
  return {
    action: p.action,
    params: (p.input ?? {}) as Proposal['params'],
    source: (p.source as Proposal['source'] | undefined) ?? 'model',
    ...(typeof p.rationale === 'string' ? { rationale: p.rationale } : {}),
  };
}
