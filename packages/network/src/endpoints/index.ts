// Host endpoint discovery: this host's workloads (podman, docker, containerd) and the host itself
// as the policy compiler's endpoints, and a watch that reports their churn.

export { containerFromInspect, type InspectedContainer, parseContainerInspect } from './container-inspect.js';
export { parseCtrContainerInfo, parseCtrTasks } from './containerd.js';
export {
  type Discovery,
  type DiscoveryOptions,
  discoverEndpoints,
  ENGINES,
  type EngineName,
  endpointKey,
  presentEngines,
} from './discover.js';
export {
  DOCKER_EVENTS_PATH,
  type DockerEvent,
  type DockerEventsOptions,
  followDockerEvents,
  isDockerChurn,
  JsonObjectSplitter,
  parseDockerEvent,
} from './docker-events.js';
export { HOST_LABEL, type HostEndpointOptions, hostEndpoints } from './host-endpoint.js';
export { type LinkAddress, type NetLink, parseIpLinks } from './ip-links.js';
export { type CommandRunner, runCommand } from './run-command.js';
export {
  diffEndpoints,
  type EndpointChange,
  type EndpointWatch,
  type EndpointWatchOptions,
  isChurnEvent,
  watchEndpoints,
} from './watch.js';
export {
  CONTAINER_LABEL,
  containerNetwork,
  NAMESPACE_LABELS,
  RUNTIME_LABEL,
  workloadEndpointFor,
} from './workload-endpoint.js';
