// Checks a scanned image's own config (user, exposed ports): what a Dockerfile scan would say,
// for images that arrive without their Dockerfile.

import type { Finding, ImageMetadata } from '@palisade/core';
import { buildFinding } from './build-finding.js';
import { isRootUser } from './rules/dockerfile/stage-settings.js';
import { imageExposesSsh, imageRunsAsRoot } from './rules/image/image-config-rules.js';

export function scanImageConfig(meta: ImageMetadata): Finding[] {
  const config = meta.config ?? {};
  const subject = meta.repoTags?.[0] ?? meta.id ?? 'image';
  const findings: Finding[] = [];
  const at = (content: string) => ({ path: '', line: 0, subject: meta.id ?? subject, content });
  if (isRootUser(config.user)) {
    const detail = config.user ? `the image config sets User "${config.user}"` : 'the image config sets no User';
    findings.push(withArtifact(buildFinding(imageRunsAsRoot, detail, at(`user=${config.user ?? ''}`)), subject));
  }
  const ssh = (config.exposedPorts ?? []).find((p) => /^22(\/(tcp|udp))?$/i.test(p));
  if (ssh)
    findings.push(
      withArtifact(buildFinding(imageExposesSsh, `the image config exposes ${ssh}`, at(`port=${ssh}`)), subject),
    );
  return findings;
}

function withArtifact(f: Finding, artifact: string): Finding {
  f.target = { artifact };
  return f;
}
