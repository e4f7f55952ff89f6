// Who may do what: every API permission and the roles that hold it, in one visible table. Each
// route names one permission; the auth hook refuses a token whose role is not listed (403).

import type { Role } from '@palisade/store';

export const PERMISSIONS = {
  'tenants:read': ['admin', 'analyst', 'read-only'],
  'tenants:write': ['admin'],
  'tokens:read': ['admin'],
  'tokens:write': ['admin'],
  'workloads:read': ['admin', 'analyst', 'read-only'],
  'scans:write': ['admin', 'ci'],
  'findings:read': ['admin', 'analyst', 'read-only'],
  'findings:suppress': ['admin', 'analyst'],
  'events:write': ['admin', 'agent'],
  'alerts:read': ['admin', 'analyst', 'read-only'],
  'agents:register': ['admin', 'agent'],
  'agents:read': ['admin', 'analyst', 'read-only'],
  'audit:read': ['admin'],
  'posture:read': ['admin', 'analyst', 'read-only'],
  'outputs:read': ['admin'],
  'outputs:write': ['admin'],
  'policies:read': ['admin', 'analyst', 'read-only'],
  'policies:write': ['admin', 'analyst'],
  // Agents fetch their own bundle; people read policies through policies:read.
  'policies:fetch': ['agent'],
  // People: admins manage the users of their subtree; every human role reads itself, logs out and
  // changes its own password (an admin may also set another user's, checked in the route).
  'users:read': ['admin'],
  'users:write': ['admin'],
  'account:self': ['admin', 'analyst', 'read-only'],
  'images:read': ['admin', 'analyst', 'read-only'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleHolds(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
