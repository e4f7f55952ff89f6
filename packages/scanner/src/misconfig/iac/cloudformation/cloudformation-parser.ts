// Reads CloudFormation and AWS SAM templates (YAML with short-form tags, or JSON): each entry of
// Resources becomes a resource whose attrs are its Properties; SAM Globals.Function fill function defaults.

import { isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { IacResource, ParsedIac } from '../iac-resource.js';
import type { PositionedDocument } from '../yaml-positions.js';

/** A template declares a format version, a SAM transform, or resources typed `AWS::…`. */
export function looksLikeCloudFormation(data: unknown): boolean {
  if (!isObject(data)) return false;
  if ('AWSTemplateFormatVersion' in data) return true;
  if (!isObject(data.Resources)) return false;
  return Object.values(data.Resources).some(
    (r) => isObject(r) && typeof r.Type === 'string' && /^(AWS|Alexa)::/.test(r.Type),
  );
}

export function cloudFormationResources(file: string, doc: PositionedDocument): ParsedIac {
  const resources: IacResource[] = [];
  if (!isObject(doc.data) || !isObject(doc.data.Resources)) return { resources, errors: [], warnings: [] };
  const globals = isObject(doc.data.Globals) && isObject(doc.data.Globals.Function) ? doc.data.Globals.Function : {};
  for (const [id, res] of Object.entries(doc.data.Resources)) {
    if (!isObject(res) || typeof res.Type !== 'string') continue;
    const props: JsonObject = isObject(res.Properties) ? res.Properties : {};
    const own = ['Resources', id, 'Properties'];
    const isSamFunction = res.Type === 'AWS::Serverless::Function';
    const attrs = isSamFunction ? { ...globals, ...props } : props;
    resources.push({
      source: 'cloudformation',
      type: res.Type,
      name: id,
      attrs,
      file,
      lineOf: (p) => {
        // A SAM function's value may come from Globals: point there when the function lacks it.
        const key = p[0];
        if (isSamFunction && typeof key === 'string' && !(key in props) && key in globals) {
          return doc.lineOf(['Globals', 'Function', ...p]);
        }
        return p.length === 0 ? doc.lineOf(['Resources', id]) : doc.lineOf([...own, ...p]);
      },
    });
  }
  return { resources, errors: [], warnings: [] };
}
