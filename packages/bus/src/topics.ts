// Topic rules shared by every bus, so a topic that works in-process works on NATS too. A topic is
// dot-separated tokens (NATS subject syntax); a subscription may end in ".>" (or be ">") to take
// every topic under a prefix.

/** A token is non-empty and free of NATS's special characters: whitespace, '.', '*' and '>'. */
const TOKEN = /^[^\s.*>]+$/;

export function isValidTopic(topic: string): boolean {
  return topic.length > 0 && topic.split('.').every((t) => TOKEN.test(t));
}

/** Throws unless `topic` is valid to publish on. */
export function checkTopic(topic: string): void {
  if (!isValidTopic(topic)) {
    throw new Error(`invalid bus topic "${topic}": use dot-separated tokens without spaces, '*' or '>'`);
  }
}

/** Throws unless `pattern` is a topic, ">" or a topic followed by ".>". */
export function checkPattern(pattern: string): void {
  if (pattern === '>') return;
  const base = pattern.endsWith('.>') ? pattern.slice(0, -2) : pattern;
  if (!isValidTopic(base)) {
    throw new Error(`invalid bus subscription "${pattern}": a topic, optionally ending in ".>", or ">"`);
  }
}

/** Whether a subscription `pattern` takes `topic` (NATS semantics: ">" matches one or more tokens). */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === '>') return true;
  if (pattern.endsWith('.>')) return topic.startsWith(pattern.slice(0, -1));
  return pattern === topic;
}
