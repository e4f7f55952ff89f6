// Reads `terraform show -json` plan output: each resource change's planned values
// (`resource_changes[].change.after`) become resources; deletions and no-ops are skipped.

import { asArray, isObject } from '../../kubernetes-resource.js';
import type { IacResource, ParsedIac } from '../iac-resource.js';
import type { PositionedDocument } from '../yaml-positions.js';

export function looksLikeTerraformPlan(data: unknown): boolean {
  return isObject(data) && Array.isArray(data.resource_changes) && 'format_version' in data;
}

export function terraformPlanResources(file: string, doc: PositionedDocument): ParsedIac {
  const resources: IacResource[] = [];
  if (!isObject(doc.data)) return { resources, errors: [], warnings: [] };
  asArray(doc.data.resource_changes).forEach((rc, i) => {
    if (!isObject(rc) || !isObject(rc.change) || !isObject(rc.change.after)) return;
    const actions = asArray(rc.change.actions);
    if (actions.length === 1 && actions[0] === 'delete') return;
    if (rc.mode === 'data') return;
    const base = ['resource_changes', i, 'change', 'after'];
    resources.push({
      source: 'terraform-plan',
      type: String(rc.type ?? ''),
      name: String(rc.address ?? `${String(rc.type)}.${String(rc.name)}`),
      attrs: rc.change.after,
      file,
      lineOf: (p) => doc.lineOf([...base, ...p]),
    });
  });
  return { resources, errors: [], warnings: [] };
}
