"""What leaves the process: model files (safetensors + a JSON header, no pickle), the
atomic writes under them, CLI outputs and ONNX export."""

from .model_file import ModelFileError, load, read_header, save

__all__ = ["ModelFileError", "load", "read_header", "save"]
