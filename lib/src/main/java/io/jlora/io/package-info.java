/**
 * Model files: safetensors reading (memory-mapped, one tensor at a time, every header claim checked
 * before data is touched) and writing (temporary file, then an atomic rename), single files and
 * sharded checkpoints. Problems surface as {@link io.jlora.io.ModelFormatException}, which names
 * the file and the key.
 */
package io.jlora.io;
