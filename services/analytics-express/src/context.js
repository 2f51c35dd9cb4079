// What the code serving a request knows without being passed it: the request's ID, for
// every log line written while serving it.
import { AsyncLocalStorage } from "node:async_hooks";

export const requestContext = new AsyncLocalStorage();

/** The current request's ID, or undefined outside a request. */
export function currentRequestId() {
  return requestContext.getStore()?.requestId;
}
