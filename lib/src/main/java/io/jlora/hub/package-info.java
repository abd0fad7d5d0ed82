/**
 * Pushing a model folder to the Hugging Face Hub over its HTTP API: create the repo, ask which
 * files go through Git LFS, upload those by the LFS batch API, then commit every file in one NDJSON
 * commit. {@link io.jlora.hub.MergeToHub} is the merge tool's door: merge into a temporary folder,
 * push it, delete it.
 *
 * <p>The token is a {@link io.jlora.hub.HubToken}: it is sent only to the hub's own origin, and it
 * is masked in every message, log line and exception that this package produces.
 */
package io.jlora.hub;
