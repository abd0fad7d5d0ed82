# Sourced by bin/jlora and bin/jlora-shell just before they start the JVM: the environment jlora's
# native code runs best in. The kernelspec writes the same into kernel.json
# (io.jlora.kernel.install.KernelSpecInstaller, io.jlora.kernel.install.Tcmalloc). A variable the user set wins.

# idle OpenMP workers sleep instead of spinning: on shared cores spinning made libtorch ops 3-5x slower
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# libtorch backs tensors of 2 MiB or more with transparent huge pages where the kernel allows them
# (madvise): one page fault per 2 MiB, not per 4 KiB
export THP_MEM_ALLOC_ENABLE="${THP_MEM_ALLOC_ENABLE:-1}"
# tcmalloc (Debian: libtcmalloc-minimal4) keeps freed tensors for reuse without the heap growth of
# glibc's malloc, where glibc returns large ones to the system and faults them in again: a 1B LoRA step
# without checkpointing ~20% faster, a lower resident peak (bench/train). JLORA_MALLOC=glibc keeps
# glibc's malloc (then io.jlora.quant.LeanAllocator sets it lean when a quantized model loads).
if [[ ${JLORA_MALLOC:-tcmalloc} != glibc && ${LD_PRELOAD:-} != *malloc* ]]; then
  for _dir in "/usr/lib/$(uname -m)-linux-gnu" /usr/lib64 /usr/lib; do
    if [[ -f $_dir/libtcmalloc_minimal.so.4 ]]; then
      export LD_PRELOAD="$_dir/libtcmalloc_minimal.so.4${LD_PRELOAD:+:$LD_PRELOAD}"
      break
    fi
  done
  unset _dir
fi
