// TypeBox schemas of the users and login API: what a user looks like to clients, and the bodies
// of login, user creation, update and password change. Passwords only ever travel inbound.

import { Type } from '@sinclair/typebox';
import { PageQuery } from './schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const UserRole = Type.Union([Type.Literal('admin'), Type.Literal('analyst'), Type.Literal('read-only')]);
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const NewPassword = Type.String({ minLength: 12, maxLength: 1024, description: 'At least 12 characters.' });
const Email = Type.String({ maxLength: 255 });

export const User = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  email: Nullable(Type.String()),
  role: UserRole,
  disabled: Type.Boolean(),
  disabledAt: Nullable(Type.String()),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
  passwordChangedAt: Type.String(),
  lastLoginAt: Nullable(Type.String()),
});

export const UserCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'Login name: a-z 0-9 . _ @ - (stored lower-case)' }),
    email: Type.Optional(Email),
    role: UserRole,
    password: NewPassword,
    tenantId: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const UserUpdate = Type.Object(
  {
    role: Type.Optional(UserRole),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    disabled: Type.Optional(Type.Boolean({ description: 'true ends every session and stops the tokens it owns' })),
  },
  { additionalProperties: false },
);

export const UserQuery = Type.Object({
  ...PageQuery,
  role: Type.Optional(UserRole),
  disabled: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Substring of the name or email' })),
});

export const PasswordChange = Type.Object(
  {
    newPassword: NewPassword,
    currentPassword: Type.Optional(Type.String({ maxLength: 1024, description: 'Required to change your own' })),
  },
  { additionalProperties: false },
);

export const Login = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, description: 'User name or email' }),
    password: Password,
  },
  { additionalProperties: false },
);

export const LoginResult = Type.Object({
  token: Type.String({ description: 'Session token (pals_…), shown once; send as Authorization: Bearer' }),
  expiresAt: Type.String(),
  user: User,
});

export const Me = Type.Object({
  tenantId: Type.String(),
  role: Type.String(),
  name: Type.String(),
  /** "session" for a login, "token" for an API token. */
  kind: Type.Union([Type.Literal('session'), Type.Literal('token')]),
  /** The session's or token's id. */
  credentialId: Type.String(),
  user: Type.Union([User, Type.Null()]),
});

export const LogoutResult = Type.Object({
  tenantId: Type.String(),
  /** False when the caller used an API token: revoke those with DELETE /tokens/{id}. */
  ended: Type.Boolean(),
});
