// Exposure: what the live host offers to the network — listening sockets in every network
// namespace with their processes and containers, and container ports published on the host.

export { publishedPortFindings, socketFindings } from './exposure-findings.js';
export { type ListeningSocket, listListeningSockets, type SocketOwner } from './listening-sockets.js';
export { type BindScope, bindScope, parseSocketTable, type SocketEntry } from './proc-net.js';
