// Slack output: one incoming-webhook message per alert, with Block Kit blocks for rule, priority,
// host, container and output, plus the output's custom fields as a context line.

import type { OutputAlert } from './output.js';
import { type AlertDocument, type Output, postOrThrow, sendOneByOne } from './output.js';

export interface SlackOutputOptions {
  name: string;
  /** The incoming webhook URL (https://hooks.slack.com/services/…). */
  url: string;
  /** Custom fields to show (the dispatcher also merges them into the document). */
  customFields?: Record<string, unknown>;
  timeoutMs?: number;
}

const PRIORITY_EMOJI: Record<string, string> = {
  emergency: ':rotating_light:',
  alert: ':rotating_light:',
  critical: ':red_circle:',
  error: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  notice: ':large_blue_circle:',
  informational: ':white_circle:',
  debug: ':white_circle:',
};

// Slack rejects a section text over 3000 characters; the output line is cut well below it.
const MAX_OUTPUT_CHARS = 2800;

/** Slack's mrkdwn treats &, < and > as markup: escape them in anything that came from an event. */
function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function containerText(alert: OutputAlert): string {
  const c = alert.container;
  if (!c || (!c.id && !c.name)) return 'host';
  return [c.name, c.image ? `(${c.image})` : undefined, c.id ? `id ${c.id.slice(0, 12)}` : undefined]
    .filter(Boolean)
    .join(' ');
}

export function slackPayload(doc: AlertDocument, customFields: Record<string, unknown> = {}): Record<string, unknown> {
  const emoji = PRIORITY_EMOJI[doc.priority.toLowerCase()] ?? ':white_circle:';
  const output =
    doc.output.length > MAX_OUTPUT_CHARS ? `${doc.output.slice(0, MAX_OUTPUT_CHARS)}…` : doc.output || '(no output)';
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `${doc.priority}: ${doc.rule}`.slice(0, 150) },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Rule*\n${escapeMrkdwn(doc.rule)}` },
        { type: 'mrkdwn', text: `*Priority*\n${emoji} ${escapeMrkdwn(doc.priority)}` },
        { type: 'mrkdwn', text: `*Host*\n${escapeMrkdwn(doc.hostname ?? 'unknown')}` },
        { type: 'mrkdwn', text: `*Container*\n${escapeMrkdwn(containerText(doc))}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Output*\n\`\`\`${escapeMrkdwn(output)}\`\`\`` } },
  ];
  const custom = Object.entries(customFields);
  if (custom.length > 0) {
    blocks.push({
      type: 'context',
      elements: custom
        .slice(0, 10)
        .map(([k, v]) => ({ type: 'mrkdwn', text: `*${escapeMrkdwn(k)}*: ${escapeMrkdwn(String(v))}` })),
    });
  }
  return {
    // The fallback text shows in notifications and in clients without blocks.
    text: `${doc.priority}: ${doc.rule} on ${doc.hostname ?? 'unknown host'}`,
    blocks,
  };
}

export function slackOutput(opts: SlackOutputOptions): Output {
  return {
    name: opts.name,
    type: 'slack',
    batchSize: 1,
    send: (batch) =>
      sendOneByOne(batch, async (doc) => {
        const body = JSON.stringify(slackPayload(doc, opts.customFields));
        await postOrThrow(opts.url, body, { 'content-type': 'application/json' }, opts.timeoutMs ?? 10_000);
      }),
  };
}
