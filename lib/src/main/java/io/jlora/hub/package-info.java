/**
 * The Hugging Face Hub's HTTP API, both ways. Pushing a model folder: create the repo, ask which
 * files go through Git LFS, upload those by the LFS batch API, then commit every file in one NDJSON
 * commit. {@link io.jlora.hub.MergeToHub} is the merge tool's door: merge into a temporary folder,
 * push it, delete it.
 *
 * <p>Downloading: {@link io.jlora.hub.ModelLocator} turns a Hub id ({@code ORG/NAME[@REV]}) into a
 * folder of the Hugging Face cache ({@code HubCache}, huggingface_hub's layout), fetching
 * the files a load needs ({@code ModelFiles}) with {@code HubDownload}.
 *
 * <p>The token is a {@link io.jlora.hub.HubToken}: it is sent only to the hub's own origin, and it
 * is masked in every message, log line and exception that this package produces.
 */
package io.jlora.hub;
