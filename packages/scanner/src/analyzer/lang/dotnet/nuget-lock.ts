// .NET: NuGet's packages.lock.json (target framework → package → {type, resolved}) and the
// *.deps.json a build writes beside an app (libraries of type "package"). Project references are skipped.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, dedupePackages, isRecord, keep, langResult, nugetPackage, readJson, str } from '../lang-package.js';

export const nugetLockAnalyzer: Analyzer = {
  name: 'nuget-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'packages.lock.json',
  async analyze(input, ctx) {
    const doc = readJson(input, ctx);
    if (doc === undefined) return undefined;
    if (!isRecord(doc) || !isRecord(doc.dependencies)) {
      ctx.warn(`${input.path}: not a NuGet packages.lock.json (no "dependencies")`);
      return undefined;
    }
    const out: Package[] = [];
    for (const framework of Object.values(doc.dependencies)) {
      if (!isRecord(framework)) continue;
      for (const name in framework) {
        const entry = framework[name];
        if (!isRecord(entry) || entry.type === 'Project') continue;
        const version = str(entry.resolved);
        if (version) keep(out, nugetPackage(name, version, input.path));
      }
    }
    return langResult('nuget', input.path, dedupePackages(out));
  },
};

export const dotnetDepsAnalyzer: Analyzer = {
  name: 'dotnet-deps',
  category: 'lang',
  required: (path, info) => info.size < 16 * 1024 * 1024 && path.endsWith('.deps.json'),
  async analyze(input, ctx) {
    const doc = readJson(input, ctx);
    if (doc === undefined) return undefined;
    if (!isRecord(doc) || !isRecord(doc.libraries)) {
      ctx.warn(`${input.path}: not a .NET deps.json (no "libraries")`);
      return undefined;
    }
    const out: Package[] = [];
    for (const key in doc.libraries) {
      const lib = doc.libraries[key];
      if (!isRecord(lib) || lib.type !== 'package') continue;
      const slash = key.lastIndexOf('/');
      if (slash <= 0 || slash === key.length - 1) continue;
      keep(out, nugetPackage(key.slice(0, slash), key.slice(slash + 1), input.path));
    }
    return langResult('dotnet-core', input.path, dedupePackages(out));
  },
};
