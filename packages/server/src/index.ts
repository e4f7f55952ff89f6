// Public API of @palisade/server: start the server, build the app for tests, the typed HTTP
// client the CLI uses, and the role/permission table.

export { API_PREFIX, type BuildAppOptions, buildApp, type PalisadeApp } from './app.js';
export { PalisadeClient, type PalisadeClientOptions } from './client.js';
export * from './outputs/index.js';
export { PERMISSIONS, type Permission, roleHolds } from './permissions.js';
export {
  bootstrapStore,
  ROOT_TENANT_ID,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from './start-server.js';
