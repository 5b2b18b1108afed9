"""Which device a model trains and runs on."""

from __future__ import annotations

import torch

from .distributed import local_device


def resolve_device(device: str) -> torch.device:
    """Map ``"auto"`` to CUDA when present, else CPU; check an explicit choice exists here."""
    if device == "auto":
        # Under torchrun each process takes the GPU of its local rank.
        local = local_device()
        if local is not None:
            return torch.device(local)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a device name; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (resolved.index or 0) >= count:
            raise ValueError(
                f"device={device!r} was requested but this machine has {count} CUDA device(s)."
            )
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device='mps' was requested but MPS is not available here.")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported; use 'auto', 'cpu' or 'cuda'.")
    return resolved


def model_device(network: torch.nn.Module) -> torch.device:
    """The device a network's weights are on (CPU for a network without any)."""
    return next(network.parameters(), torch.empty(0)).device
