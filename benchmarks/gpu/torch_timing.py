"""CUDA-event timing shared by the PyTorch side of the GPU benchmarks (torch_kernels.py, torch_fused.py,
torch_step.py)."""
import time

import torch


def sample_ms(fn, samples=9):
    """Per-call milliseconds of fn: the median of `samples` samples, each ~20 ms of back-to-back calls."""
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    reps = 1
    while True:  # calibrate to ~20 ms per sample
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        if start.elapsed_time(end) >= 20 or reps >= 4096:
            break
        reps *= 2
    per = []
    for _ in range(samples):
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        per.append(start.elapsed_time(end) / reps)
    return sorted(per)[len(per) // 2]


def step_times_ms(fn, warmup, steps, device):
    """Milliseconds of each of `steps` calls of fn after `warmup` untimed ones, one call per sample (a training step
    is long enough to time alone). CUDA events on a GPU; on the CPU (a check of the script) the wall clock."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
    return times
