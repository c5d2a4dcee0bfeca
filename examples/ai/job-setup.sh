# Sourced by the AI job scripts (jobscripts/examples/*.sh) before they start Python.
# Replicas on different x86-64 CPUs must compute alike to agree byte for byte: PyTorch,
# oneDNN and OpenBLAS each pick kernels per CPU, and kernels round differently, so all
# three are held to AVX2 where the CPU has it (the job may set its own before).
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  export ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-avx2}
  export ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-AVX2}
  export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
fi
# OpenMP threads that wait by sleeping, not spinning: a job's CPUs are a quota, and spinning
# threads spend it (measured: PyTorch training a third faster on two CPUs, jailed or not).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# No __pycache__ beside the shipped code: it would come back as an output.
export PYTHONDONTWRITEBYTECODE=1
